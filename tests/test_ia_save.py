"""``ardvc ia save``: Cornudas 69421 reduced at its branch head with the MetaRepo at
20d8fab7 and saved as a 2022 nested interpreted-age file that ``ardvc ia check`` (and
ardvc's readers) accept (pychron-format.md §3.4, §5.11, §6.2)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from ardvc import __version__
from ardvc.api import Lab
from ardvc.cli.main import main
from ardvc.errors import AnalysisNotFoundError, ConcurrentUpdateError, MissingInputError
from ardvc.formats.ia import IAFile2022
from ardvc.formats.kinds import PathKind, classify_path
from ardvc.gitstore import commit_files
from ardvc.reduce.inputs import ISOTOPES
from ardvc.reduction.ia_save import plan_ia, read_ia, save_ia, save_ia_plan, select_sample
from ardvc.reduction.iacheck import MATCH, check_ia
from ardvc.reduction.settings import settings
from test_cli_lab import ardvc
from test_fit_save import changed_paths, clone

pytestmark = pytest.mark.shared
Bundles = Callable[[str], Path]
META_2022 = "20d8fab7220fa66144f756d421809c0dc1ef0bcf"
META_FIRST = "052ea18d4408ff7bbd10e71e90fdae4f41183c18"  # 2016: no NM-322 yet
DENVER = ("timezone=America/Denver",)
INTERMEDIATES = {
    "baseline_corrected_intercepts": "baseline_corrected",
    "blanks": "blank",
    "icfactors": "ic",
    "ic_corrected_values": "ic_corrected",
}


@pytest.fixture(scope="module")
def lab(bundle_bare: Bundles, tmp_path_factory: pytest.TempPathFactory) -> Lab:
    root = tmp_path_factory.mktemp("ia-save") / "lab"
    clone(bundle_bare, "MetaData", root / "MetaData")
    clone(bundle_bare, "Cornudas", root / "repositories" / "Cornudas")
    Lab.adopt_pychron(root)
    return Lab.open(root)


def test_save_and_check(lab: Lab) -> None:
    data = lab.repo("Cornudas")
    head = data.git.head_id()
    assert head is not None
    constants, conventions = settings(lab.config, DENVER)
    assert conventions.name == "pychron-2022" and conventions.timezone == "America/Denver"
    plan, result = save_ia(
        data, lab.meta, lab.author(), conventions=conventions, constants=constants,
        identifier="69421", meta_rev=META_2022,
    )  # fmt: skip
    # 694/ia/21_00000.ia.json (Pychron, 2022) exists: the first free number is 1
    assert plan.path == "reduction/694/ia/21_00001.ia.json" and plan.number == 1
    assert classify_path(plan.path) == PathKind("ia")
    commit = data.git.resolve(result.commit)
    assert commit.message == "<IA> added interpreted ages 02 69421 CORN-805"
    assert str(commit.parents[0].id) == head
    assert changed_paths(data, str(commit.id)) == {plan.path}
    # ardvc's reader finds it (reduction/ first) and decodes it as a 2022 file
    assert data.locate("69421_00001", "ia") == plan.path
    ia = read_ia(data, "69421", 1)
    assert isinstance(ia, IAFile2022) and ia.identifier == "69421" and ia.sample == "CORN-805"
    assert ia.preferred_kind("age") is not None and ia.preferred.nanalyses == 5
    block = ia.ardvc
    assert block is not None
    assert block["version"] == __version__ and block["preferred"] == "plateau"
    assert block["data"] == {"repo": "Cornudas", "commit": head}
    assert block["meta"] == {"repo": "MetaData", "commit": META_2022}
    assert block["conventions"]["name"] == "pychron-2022"
    assert block["conventions"]["timezone"] == "America/Denver"
    assert block["constants"]["decay"] == "Min et al., 2000"
    assert block["plateau"]["steps"] == [f"69421-02{s}" for s in "FGHIJ"]
    assert len(block["weighted_mean"]["steps"]) == len(block["isochron"]["steps"]) == 10
    assert set(block["analyses"]["69421-02F"]["files"]) >= {"main", ".data", "intercepts"}

    # per-analysis values and intermediates are the reduction's, exactly
    reduction = plan.reduction
    chain = reduction.chain
    assert chain is not None and len(ia.analyses) == 10
    for entry, got, row in zip(ia.analyses, reduction.results, reduction.rows, strict=True):
        assert entry.record_id == got.record_id and entry.uuid == got.uuid
        assert (entry.age, entry.age_err, entry.age_err_wo_j) == (got.age, got.age_err, got.age_err)
        assert (entry.kca, entry.kca_err, entry.kcl) == (got.kca, got.kca_err, got.kcl)
        assert entry.radiogenic_yield == got.radiogenic_yield
        assert entry.plateau_step == (entry.record_id in block["plateau"]["steps"])
        for attr, name in INTERMEDIATES.items():
            stored = getattr(entry, attr)
            for iso in ISOTOPES:
                u = getattr(chain.isotopes[iso], name)
                assert (stored[iso].value, stored[iso].error) == (u.value[row], u.std[row])
        inter = chain.interference_corrected()
        assert entry.interference_corrected_values is not None
        for iso in ISOTOPES:
            value = entry.interference_corrected_values[iso]
            assert (value.value, value.error) == (inter[iso].value[row], inter[iso].std[row])

    # ardvc ia check reproduces every value of the saved file
    report = check_ia(
        ia, path=plan.path, data=data, data_rev=str(commit.id), meta=lab.meta,
        meta_rev=META_2022, conventions=conventions,
    )  # fmt: skip
    assert report.ok and not report.failures and len(report.analyses) == 40
    assert all(c.status == MATCH and c.rel == 0 for c in report.analyses)
    groups = {g.name: g for g in report.groups}
    assert {g.status for g in report.groups} == {MATCH}
    assert set(groups) >= {"weighted mean error", "plateau error", "integrated", "isochron"}
    assert ia.ages is not None and ia.age == ia.ages.plateau_age
    # the same numbers as Pychron's own file of this sample (data/README.md, ~1e-16)
    pychron = json.loads(data.git.read("694/ia/21_00000.ia.json"))
    ours = json.loads(data.git.read(plan.path))
    for key, value in pychron["preferred"]["ages"].items():
        assert ours["preferred"]["ages"][key] == pytest.approx(value, rel=1e-13), key


def test_cli_save_through_the_console_script(lab: Lab) -> None:
    data = lab.repo("Cornudas")
    before = data.git.head_id()
    proc = ardvc(
        "--root", str(lab.root), "ia", "save", "--repo", "Cornudas", "--identifier", "69421",
        "--meta-at", META_2022, "--set", "timezone=America/Denver", "--preferred",
        "weighted_mean", "--exclude", "69421-02A", "--name", "02 wm",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    # the numbers 00000 (legacy) and maybe 00001 (previous test) are taken
    path = proc.stdout.split(":", 1)[0].strip()
    assert path.startswith("reduction/694/ia/21_0000") and path in proc.stdout
    head = data.git.resolve()
    assert str(head.parents[0].id) == before
    assert head.message == "<IA> added interpreted ages 02 wm 69421 CORN-805"
    assert f"committed {head.id}" in proc.stdout
    number = int(path.rsplit("_", 1)[1].split(".")[0])
    ia = read_ia(data, "69421", number)
    assert isinstance(ia, IAFile2022) and len(ia.analyses) == 9
    kind = ia.preferred_kind("age")
    assert kind is not None and kind.kind == "Weighted Mean"
    assert ia.ardvc is not None and ia.ardvc["excluded"] == ["69421-02A"]
    _, conventions = settings(lab.config, DENVER)
    report = check_ia(
        ia, path=path, data=data, data_rev=str(head.id), meta=lab.meta, meta_rev=META_2022,
        conventions=conventions,
    )  # fmt: skip
    assert report.ok and all(c.status == MATCH for c in report.analyses)
    groups = {g.name: g for g in report.groups}
    assert groups["weighted mean error"].status == MATCH
    assert groups["weighted mean error"].note == "as MSEM ⊕ J"  # what the file records


def test_bad_input_is_refused_and_nothing_is_committed(lab: Lab) -> None:
    data = lab.repo("Cornudas")
    head = data.git.head_id()
    _, conventions = settings(lab.config, DENVER)
    with pytest.raises(AnalysisNotFoundError, match="no analysis of identifier '99999'"):
        save_ia(data, lab.meta, lab.author(), conventions=conventions, identifier="99999")
    with pytest.raises(MissingInputError, match="no analysis of 69421 could be reduced"):
        save_ia(
            data, lab.meta, lab.author(), conventions=conventions, identifier="69421",
            meta_rev=META_FIRST,
        )  # fmt: skip
    with pytest.raises(MissingInputError, match="no inverse isochron"):
        save_ia(
            data, lab.meta, lab.author(), conventions=conventions, names=["69421-02A"],
            meta_rev=META_2022, preferred="isochron",
        )  # fmt: skip
    assert data.git.head_id() == head
    code = CliRunner().invoke(
        main,
        ["--root", str(lab.root), "ia", "save", "--repo", "Cornudas", "--identifier", "99999"],
    )
    assert code.exit_code == 1 and "no analysis of identifier" in code.output
    assert data.git.head_id() == head
    assert head is not None
    analyses = select_sample(data, head, identifier="69421")
    plan = plan_ia(data, lab.meta, analyses, conventions=conventions, meta_rev=META_2022)
    note = commit_files(data.git, {"notes.txt": b"moved"}, "<MANUAL> a note", lab.author())
    with pytest.raises(ConcurrentUpdateError, match="nothing was committed"):
        save_ia_plan(data, plan, lab.author())
    assert data.git.head_id() == note.commit
    with pytest.raises(ConcurrentUpdateError, match="nothing was written"):
        plan_ia(data, lab.meta, analyses, conventions=conventions, meta_rev=META_2022)
    assert data.git.head_id() == note.commit
