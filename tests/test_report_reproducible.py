"""Same seed, same report: nothing in report.json may depend on memory addresses."""

import networkx as nx

from verify.core.result import to_jsonable


def test_networkx_graph_is_written_as_its_data():
    g = nx.DiGraph()
    g.add_edges_from([(2, 3), (0, 1)])
    assert to_jsonable(g) == {"graph": "DiGraph", "nodes": [0, 1, 2, 3],
                              "edges": [[0, 1], [2, 3]]}


def test_object_repr_has_no_memory_address():
    class Opaque:
        pass

    a, b = to_jsonable(Opaque()), to_jsonable(Opaque())
    assert a == b and "0x" not in a
