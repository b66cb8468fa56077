"""Reports: the run as data (``record``), and its renderings (``markdown``, ``html``)."""

from verify.reports.atomic import atomic_write
from verify.reports.record import SCHEMA, SCHEMA_VERSION, ReportWriter, load_report

__all__ = ["SCHEMA", "SCHEMA_VERSION", "ReportWriter", "atomic_write", "load_report"]
