"""Names, run IDs and the shard algorithm, against Pychron's own cases and real layouts."""

from __future__ import annotations

import pygit2
import pytest

from ardvc.errors import UnsafeNameError, UsageError
from ardvc.formats import paths
from ardvc.formats.names import check_safe_name, prep_repo_name
from ardvc.formats.runid import (
    RunId,
    increment_from_step,
    make_runid,
    parse_runid,
    step_letter,
)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Foo Bar", "FooBar"),
        ("Foo_Bar", "FooBar"),
        ("Foo/Bar", "FooBar"),
        ("Foo,Bar", "Foo-Bar"),
        ("&Foo>Bar$", "-Foo-Bar-"),
        ("IR998", "IR998"),
        ("Irradiation-NM-293", "Irradiation-NM-293"),
    ],
)
def test_prep_repo_name_matches_pychron(typed: str, expected: str) -> None:
    assert prep_repo_name(typed) == expected


@pytest.mark.parametrize("bad", ["..", ".", "", "a/b/..", "x\x00y", "/etc", "a\\b", "\n"])
def test_unsafe_names_are_refused(bad: str) -> None:
    with pytest.raises(UnsafeNameError):
        check_safe_name(bad)


@pytest.mark.parametrize("bad", ["..", "   ", "a\x00b"])
def test_unsafe_repo_names_are_refused(bad: str) -> None:
    with pytest.raises(UnsafeNameError):
        prep_repo_name(bad)


def test_step_letters_are_bijective_base26() -> None:
    assert [step_letter(i) for i in (0, 11, 25, 26, 27, 701, 702)] == [
        "A", "L", "Z", "AA", "AB", "ZZ", "AAA"
    ]  # fmt: skip
    assert step_letter(None) == "" and step_letter(-1) == ""
    for i in range(2000):
        assert increment_from_step(step_letter(i)) == i


def test_run_ids() -> None:
    assert make_runid("66681", 3, 11) == "66681-03L"
    assert make_runid("65761", 5) == "65761-05"
    assert make_runid("bu-FD-F", 789) == "bu-FD-F-789"
    assert make_runid("a-01-F", 2505) == "a-01-F-2505"
    assert parse_runid("66052-01E") == RunId("66052", 1, 4)
    assert parse_runid("bu-FD-F-738") == RunId("bu-FD-F", 738, None)
    assert str(parse_runid("66681-03L")) == "66681-03L"
    with pytest.raises(UsageError):
        parse_runid("nodash")
    with pytest.raises(UnsafeNameError):
        parse_runid("../66681-03L")


@pytest.mark.parametrize(
    ("name", "modifier", "expected"),
    [
        ("65761-05", None, "657/61-05.json"),
        ("65761-05", "intercepts", "657/intercepts/61-05.inte.json"),
        ("65761-05", ".data", "657/.data/61-05.dat.json"),
        ("66681-03L", "baselines", "666/baselines/81-03L.base.json"),
        ("bu-FD-F-738", None, "bu-FD/-F-738.json"),
        ("bu-FD-F-738", "intercepts", "bu-FD/intercepts/-F-738.inte.json"),
        ("a-01-F-2505", None, "a-01/-F-2505.json"),
        ("ba-01-F-2506", "blanks", "ba-01/blanks/-F-2506.blan.json"),
        ("65761-05", "logs", "657/logs/61-05.logs.log"),
    ],
)
def test_first_candidate_follows_pychron(name: str, modifier: str | None, expected: str) -> None:
    first = next(c for c in paths.candidate_addresses(name, modifier) if not c.reduction)
    assert first.path == expected


def test_uuid_candidates_try_5_3_2_and_reduction_first() -> None:
    uuid = "d3f3b3a7-3cf5-4bb3-9c2d-f160f87397a9"
    assert [c.path for c in paths.candidate_addresses(uuid)] == [
        "d3f3b/3a7-3cf5-4bb3-9c2d-f160f87397a9.json",
        "d3f/3b3a7-3cf5-4bb3-9c2d-f160f87397a9.json",
        "d3/f3b3a7-3cf5-4bb3-9c2d-f160f87397a9.json",
    ]
    tags = [c.path for c in paths.candidate_addresses(uuid, "tags")]
    assert tags[0] == "reduction/d3f3b/tags/3a7-3cf5-4bb3-9c2d-f160f87397a9.tags.json"
    assert tags[1] == "d3f3b/tags/3a7-3cf5-4bb3-9c2d-f160f87397a9.tags.json"
    assert paths.write_address(uuid, "icfactors").path == (
        "d3/icfactors/f3b3a7-3cf5-4bb3-9c2d-f160f87397a9.icfa.json"
    )


def test_two_character_run_id_fallback_and_colons() -> None:
    # Pychron's post-2021 writer could produce these; its reader cannot find them, ardvc can.
    candidates = [c.path for c in paths.candidate_addresses("66681-03L")]
    assert candidates == ["666/81-03L.json", "66/681-03L.json"]
    assert paths.address("UW144:A1-01", 3).path == "UW1/44_A1-01.json"


def test_ia_addresses() -> None:
    assert paths.ia_address("69421", 0).path == "694/ia/21_00000.ia.json"
    assert paths.ia_address("65761", None).path == "657/ia/61.ia.json"


def test_resolution_handles_overlapping_shards() -> None:
    existing = {
        "cf/529ae1-1111-4111-8111-111111111111.json",
        "cff52/7ab-2222-4222-8222-222222222222.json",
    }
    found = paths.resolve("cff527ab-2222-4222-8222-222222222222", existing.__contains__)
    assert found == "cff52/7ab-2222-4222-8222-222222222222.json"
    found = paths.resolve("cf529ae1-1111-4111-8111-111111111111", existing.__contains__)
    assert found == "cf/529ae1-1111-4111-8111-111111111111.json"
    assert paths.resolve("cf000000-3333-4333-8333-333333333333", existing.__contains__) is None


@pytest.mark.shared
def test_every_real_main_file_resolves_by_its_name(bundle_bare) -> None:  # type: ignore[no-untyped-def]
    """Every analysis of every shipped repository is found again through the fallback chain,
    including the mixed run-ID/uuid naming of Timescale."""
    from ardvc.data.locate import main_files

    for name in ("IR998", "Cornudas", "Felix_blank180", "FractionatedRes", "Timescale"):
        repo = pygit2.Repository(str(bundle_bare(name)))
        tree = repo.revparse_single("master").peel(pygit2.Commit).tree

        def exists(path: str, tree: pygit2.Tree = tree) -> bool:
            try:
                tree / path
            except KeyError:
                return False
            return True

        found = list(main_files(repo, tree))
        assert found, name
        for main in found:
            assert paths.resolve(main.name, exists) == main.path, (name, main.path)
