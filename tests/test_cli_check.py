"""``relverify check`` / ``certify``: bad input is one line on stderr, exit 2, nothing written;
the claims that need no training (Weyl, symmetry, rank bound) end as the issue says."""

from __future__ import annotations

import json

import pytest
import torch

from verify.cli import main

GAUSS = "exp(-(x-y)**2/0.5)"


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def net_files(tmp_path):
    """φ: R -> R^4 state dicts: a good one, one for 2-D inputs, one with a GELU, a pickle."""
    torch.manual_seed(0)
    paths = {}
    for name, layers, arch in [
        ("phi1", [torch.nn.Linear(1, 8), torch.nn.Tanh(), torch.nn.Linear(8, 4)], None),
        ("phi2", [torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 4)], None),
        ("psi3", [torch.nn.Linear(1, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)], None),
        ("gelu", [torch.nn.Linear(1, 8), torch.nn.GELU(), torch.nn.Linear(8, 4)], None),
    ]:
        seq = torch.nn.Sequential(*layers).double()
        path = tmp_path / f"{name}.pt"
        torch.save(seq.state_dict(), path)
        names = arch or [type(m).__name__ for m in seq]
        path.with_name(path.name + ".json").write_text(json.dumps({"layers": names}))
        paths[name] = path
    pickled = tmp_path / "module.pt"
    torch.save(torch.nn.Sequential(torch.nn.Linear(1, 4)), pickled)  # a module, not weights
    pickled.with_name("module.pt.json").write_text('{"layers": ["Linear"]}')
    paths["pickled"] = pickled
    paths["nosidecar"] = tmp_path / "nosidecar.pt"
    torch.save(torch.nn.Sequential(torch.nn.Linear(1, 4)).state_dict(), paths["nosidecar"])
    return paths


CHECK = ["check", "--domain", "[-1,1]", "--eps", "1e-2", "--neurons", "8"]
BAD_CHECK = {
    "unknown symbol": (["check", "x*z", "--domain", "[-1,1]", "--eps", "1e-2",
                        "--neurons", "8"], "unknown symbol"),
    "__import__": (["check", "__import__('os').getcwd()", "--domain", "[-1,1]", "--eps",
                    "1e-2", "--neurons", "8"], "not allowed"),
    "os": (["check", "os", "--domain", "[-1,1]", "--eps", "1e-2", "--neurons", "8"],
           "unknown symbol"),
    "lambda": (["check", "lambda: 1", "--domain", "[-1,1]", "--eps", "1e-2", "--neurons", "8"],
               "Lambda"),
    "x2 in 2-D": (["check", "x2*y0", "--domain", "[-1,1]^2", "--eps", "1e-2", "--neurons", "8"],
                  "x2"),
    "malformed domain": (["check", GAUSS, "--domain", "[0,1", "--eps", "1e-2", "--neurons",
                          "8"], "malformed domain"),
    "lo >= hi": (["check", GAUSS, "--domain", "[1,0]", "--eps", "1e-2", "--neurons", "8"],
                 "lo < hi"),
    "lo == hi y-domain": (["check", GAUSS, "--domain", "[0,1]", "--y-domain", "[2,2]",
                           "--eps", "1e-2", "--neurons", "8"], "lo < hi"),
    "eps 0": (["check", GAUSS, "--domain", "[-1,1]", "--eps", "0", "--neurons", "8"], "--eps"),
    "eps < 0": (["check", GAUSS, "--domain", "[-1,1]", "--eps", "-1e-3", "--neurons", "8"],
                "--eps"),
    "eps nan": (["check", GAUSS, "--domain", "[-1,1]", "--eps", "nan", "--neurons", "8"],
                "--eps"),
    "eps text": (["check", GAUSS, "--domain", "[-1,1]", "--eps", "small", "--neurons", "8"],
                 "--eps"),
    "neurons 0": (["check", GAUSS, "--domain", "[-1,1]", "--eps", "1e-2", "--neurons", "0"],
                  "neurons"),
    "neurons < 0": (["check", GAUSS, "--domain", "[-1,1]", "--eps", "1e-2", "--neurons",
                     "-4"], "neurons"),
    "neurons text": (["check", GAUSS, "--domain", "[-1,1]", "--eps", "1e-2", "--neurons",
                      "many"], "neurons"),
    "asymmetric 1 neuron": (["check", GAUSS, "--asymmetric", "--domain", "[-1,1]", "--eps",
                             "1e-2", "--neurons", "1"], "neurons"),
    "features 0": (["check", GAUSS, "--domain", "[-1,1]", "--eps", "1e-2", "--neurons", "8",
                    "--features", "0"], "features"),
    "bound unparsable": (["check", GAUSS, "--domain", "[-1,1]", "--eps", "1e-2", "--bound",
                          "2 +"], "bound"),
    "bound unknown name": (["check", GAUSS, "--domain", "[-1,1]", "--eps", "1e-2", "--bound",
                            "__import__('os')"], "bound"),
    "no budget": (["check", GAUSS, "--domain", "[-1,1]", "--eps", "1e-2"], "--neurons"),
    "neurons and width": (["check", GAUSS, "--domain", "[-1,1]", "--eps", "1e-2", "--neurons",
                           "8", "--width", "8"], "not both"),
    "not finite": (["check", "log(x)", "--domain", "[-1,1]", "--eps", "1e-2", "--neurons",
                    "8"], "not finite"),
    "unknown activation": (["check", GAUSS, "--domain", "[-1,1]", "--eps", "1e-2",
                            "--neurons", "8", "--activation", "gelu"], "activation"),
}


@pytest.mark.parametrize("case", sorted(BAD_CHECK))
def test_check_bad_input(case, capsys, tmp_path):
    argv, needle = BAD_CHECK[case]
    code, out, err = _run(capsys, *argv, "--out", str(tmp_path / "out"))
    assert code == 2, (out, err)
    assert len(err.strip().splitlines()) == 1 and err.startswith("relverify: error:"), err
    assert needle.lower() in err.lower(), err
    assert "Traceback" not in err and not (tmp_path / "out").exists()


def _certify_argv(model, out, *extra, domain="[-1,1]"):
    return ["certify", str(model), "--relation", GAUSS, "--domain", domain, "--eps", "1e-2",
            "--out", str(out), *extra]


@pytest.mark.parametrize("case,needle", [
    ("input size", "inputs but the domain"), ("unsupported layer", "unsupported layer 'GELU'"),
    ("missing file", "not found"), ("pickled module", "weights-only"),
    ("no sidecar", "architecture"), ("bad arch", "unsupported layer 'Conv2d'"),
    ("feature mismatch", "features"), ("arch does not fit", "weights"),
])
def test_certify_bad_input(case, needle, net_files, capsys, tmp_path):
    out = tmp_path / "out"
    argv = {
        "input size": _certify_argv(net_files["phi2"], out),
        "unsupported layer": _certify_argv(net_files["gelu"], out),
        "missing file": _certify_argv(tmp_path / "missing.pt", out),
        "pickled module": _certify_argv(net_files["pickled"], out),
        "no sidecar": _certify_argv(net_files["nosidecar"], out),
        "bad arch": _certify_argv(net_files["phi1"], out, "--arch", "Linear,Conv2d,Linear"),
        "feature mismatch": _certify_argv(net_files["phi1"], out, "--psi",
                                          str(net_files["psi3"])),
        "arch does not fit": _certify_argv(net_files["phi1"], out, "--arch", "Linear"),
    }[case]
    code, _, err = _run(capsys, *argv)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert needle.lower() in err.lower(), err
    assert not out.exists()


def test_bad_input_in_a_real_process(cli, tmp_path):
    marker = tmp_path / "ran"
    proc = cli("check", f"__import__('pathlib').Path({str(marker)!r}).touch()", "--domain",
               "[-1,1]", "--eps", "1e-2", "--neurons", "8", "--out", str(tmp_path / "out"))
    assert proc.returncode == 2 and not marker.exists() and not proc.stdout
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_weyl_refutes_without_training(capsys, tmp_path):
    code, out, _ = _run(capsys, "check", "1-(x-y)**2", "--domain", "[-1,1]", "--eps", "1e-2",
                        "--neurons", "32", "--out", str(tmp_path), "--profile", "quick")
    assert code == 1
    assert "verdict: refuted [weyl-lower-bound]" in out and "λ_min = -2" in out
    (report,) = tmp_path.glob("*/report.json")
    data = json.loads(report.read_text())
    assert data["provenance"]["claim"]["status"] == "refuted" and data["complete"]


def test_not_symmetric_is_not_applicable(capsys, tmp_path):
    code, out, _ = _run(capsys, "check", "exp(x*y) - x", "--domain", "[0,1]", "--eps", "1e-3",
                        "--neurons", "64", "--out", str(tmp_path), "--profile", "quick")
    assert code == 1
    assert "verdict: not-applicable [hypothesis:symmetric]" in out
    assert "x = [0.0], y = [1.0]" in out  # the pair


def test_bound_refuted_by_rank(capsys, tmp_path):
    code, out, _ = _run(capsys, "check", GAUSS, "--domain", "[-1,1]", "--eps", "1e-3",
                        "--bound", "2", "--out", str(tmp_path), "--profile", "quick")
    assert code == 1 and "verdict: refuted [rank-lower-bound]" in out


def test_help_lists_new_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "check" in out and "certify" in out


ACCEPTANCE = [  # issue #12, standard profile: (argv, exit code, text in the verdict line)
    (["1/(1+(x-y)**2)", "--domain", "[-1,1]", "--eps", "1e-3", "--neurons", "32"], 0,
     "certified sup"),
    (["exp(-(x0-y0)**2-(x1-y1)**2)", "--domain", "[-1,1]^2", "--eps", "1e-2", "--neurons",
      "128"], 0, "certified sup"),
    (["1-(x-y)**2", "--domain", "[-1,1]", "--eps", "1e-2", "--neurons", "32"], 1, "Weyl"),
    (["exp(x*y) - x", "--asymmetric", "--domain", "[0,1]", "--eps", "1e-3", "--neurons", "64"],
     0, "certified sup"),
    (["exp(x*y) - x", "--domain", "[0,1]", "--eps", "1e-3", "--neurons", "64"], 1,
     "hypothesis:symmetric"),
    ([GAUSS, "--domain", "[-1,1]", "--eps", "1e-3", "--bound", "2"], 1, "rank-lower-bound"),
    ([GAUSS, "--domain", "[-1,1]", "--eps", "1e-3", "--bound", "8*log(1/eps)"], 0,
     "certified sup"),
]


@pytest.mark.slow
@pytest.mark.parametrize("argv,code,needle", ACCEPTANCE, ids=lambda v: " ".join(v)
                         if isinstance(v, list) else str(v))
def test_acceptance_examples_standard(argv, code, needle, capsys, tmp_path):
    got, out, err = _run(capsys, "check", *argv, "--out", str(tmp_path))
    verdict = [ln for ln in out.splitlines() if ln.startswith("verdict:")][0]
    assert got == code and needle in verdict, out + err


def test_other_y_domain_without_asymmetric(capsys, tmp_path):
    code, out, _ = _run(capsys, "check", "x0*y0 + x1", "--domain", "[0,1]^2", "--y-domain",
                        "[0,1]", "--eps", "1e-2", "--neurons", "16", "--out", str(tmp_path),
                        "--profile", "quick")
    assert code == 1 and "verdict: not-applicable [hypothesis:symmetric]" in out
    assert "error" not in out.split("claim:")[0]
