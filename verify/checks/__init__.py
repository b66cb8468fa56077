"""Reusable checks on relation functions, shared by theorem modules.

Each function takes a relation (and what it needs) plus the check :class:`~verify.Context`
and returns a :class:`~verify.Result`; theorem modules wire them to their instances.
"""
