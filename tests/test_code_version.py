"""The digest of the package code a pipeline job runs (marlbc.code_version): which modules it
covers, and which edits change it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from marlbc import code_version as cv


@pytest.fixture
def package(tmp_path) -> Path:
    """A copy of the package's source folder, free to edit."""
    root = tmp_path / "marlbc"
    shutil.copytree(cv.ROOT, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def short(modules):
    return {m.removeprefix("marlbc.") for m in modules}


def test_training_covers_the_economy_and_sac_not_the_figures_or_claims():
    modules = short(cv.closure("marlbc.rl.train"))
    # direct imports, relative imports two levels up (economy.rbc -> benchmarks.steady_state),
    # and imports inside functions (economy.rbc -> benchmarks.rbc, for gauss_hermite)
    assert {"rl.train", "rl.sac", "economy.rbc", "economy.ks", "benchmarks.steady_state",
            "benchmarks.rbc", "config"} <= modules
    assert not any(m.startswith(("figures", "claims")) for m in modules)
    assert "evaluation" not in modules          # a package's __init__ passed through is left out


def test_benchmarks_cover_config_and_sac_not_the_economy():
    # README: editing economy/rbc.py leaves the benchmarks alone; rl/sac.py reruns them, since
    # config.py imports it to check the SAC keys of config.yaml
    modules = short(cv.closure("marlbc.benchmarks.run"))
    assert {"benchmarks.run", "benchmarks.rbc", "benchmarks.game", "benchmarks.ks", "config", "rl.sac"} <= modules
    assert not any(m.startswith(("economy", "rl.train", "figures", "claims")) for m in modules)


def test_a_figure_covers_the_shared_figure_module():
    assert {"figures.irf", "figures.common"} <= short(cv.closure("marlbc.figures.irf"))
    assert "figures.irf" not in short(cv.closure("marlbc.figures.stability"))


def test_comments_docstrings_and_layout_change_nothing(package):
    before = cv.code_version("marlbc.rl.train", root=package)
    sac = package / "rl" / "sac.py"
    text = sac.read_text()
    assert text.startswith('"""')
    edited = text.replace('"""', '"""An edited docstring. ', 1) + "\n\n# an edited comment\n"
    edited = edited.replace("    def update(self, buffer: ReplayBuffer)", "    def update(self,   buffer: ReplayBuffer)", 1)
    assert edited != text
    sac.write_text(edited)
    assert cv.code_version("marlbc.rl.train", root=package) == before


def test_editing_code_changes_the_digest_of_the_jobs_that_run_it(package):
    train = cv.code_version("marlbc.rl.train", root=package)
    rbc = package / "economy" / "rbc.py"
    rbc.write_text(rbc.read_text().replace("TYPE_SCALE = 0.02", "TYPE_SCALE = 0.03", 1))
    assert cv.code_version("marlbc.rl.train", root=package) != train
    figure = cv.code_version("marlbc.figures.irf", glue=None, root=package)
    stability = cv.code_version("marlbc.figures.stability", glue=None, root=package)
    irf = package / "figures" / "irf.py"
    irf.write_text(irf.read_text() + "\nEDITED = True\n")
    assert cv.code_version("marlbc.figures.irf", glue=None, root=package) != figure
    assert cv.code_version("marlbc.figures.stability", glue=None, root=package) == stability


def test_the_glue_counts_with_its_own_code_only(package):
    with_glue = cv.code_version("marlbc.rl.train", root=package)
    assert cv.code_version("marlbc.rl.train", glue=None, root=package) != with_glue
    glue = package / "pipeline.py"
    glue.write_text(glue.read_text() + "\nEDITED = True\n")
    assert cv.code_version("marlbc.rl.train", root=package) != with_glue
    assert cv.code_version("marlbc.rl.train", glue=None, root=package) == \
        cv.code_version("marlbc.rl.train", glue=None, root=cv.ROOT)


def test_a_rule_counts_only_the_glue_its_entry_point_runs(package):
    # run_train uses the glue's logged() and _cfg(), and through them marlbc.runtime and config
    tree, imports = cv.glue_entry("marlbc.pipeline", "run_train", root=package)
    assert short(imports) == {"rl.train", "runtime", "config"}
    assert "FunctionDef(name='logged'" in tree and "gate_claims" not in tree and "run_evaluate" not in tree
    train = cv.code_version("marlbc.rl.train", entry="run_train", root=package)
    evaluate = cv.code_version("marlbc.evaluation.evaluate", entry="run_evaluate", root=package)
    glue = package / "pipeline.py"
    text = glue.read_text()

    def edited(old, new):
        assert old in text
        glue.write_text(text.replace(old, new, 1))
        return (cv.code_version("marlbc.rl.train", entry="run_train", root=package),
                cv.code_version("marlbc.evaluation.evaluate", entry="run_evaluate", root=package))

    # the claims gate and another rule's entry point: neither job's digest moves
    assert edited("    failed = [r[\"id\"] for r", "    failed = [r[\"id\"].upper() for r") == (train, evaluate)
    moved = edited("    with logged(smk):\n        options", "    print(smk)\n    with logged(smk):\n        options")
    assert moved[0] == train and moved[1] != evaluate          # run_evaluate edited
    # a helper both use, and the module it imports a name from, move both
    moved = edited("    one_job()\n", "    one_job()\n    print(smk)\n")
    assert moved[0] != train and moved[1] != evaluate
    glue.write_text(text)
    runtime = package / "runtime.py"
    runtime.write_text(runtime.read_text() + "\nEDITED = True\n")
    assert cv.code_version("marlbc.rl.train", entry="run_train", root=package) != train


def test_an_unknown_entry_point_is_named():
    with pytest.raises(ValueError, match="'marlbc.pipeline' has no top-level 'run_nosuch'"):
        cv.code_version("marlbc.rl.train", entry="run_nosuch")


def test_an_unknown_module_is_named():
    with pytest.raises(ValueError, match="'marlbc.rl.nosuch' is not a module"):
        cv.code_version("marlbc.rl.nosuch")
