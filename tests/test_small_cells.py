"""Small cells everywhere: a tour of every page and export finds no figure about a group of
fewer than k people, nor one that subtraction from a total would give.

The checker is written apart from the suppression code: it knows the true size of every
group (counted with pandas from the table) and, for each table of groups shown, asserts
that every group shown holds at least k people and that the people left out of the table
(the population minus the groups shown) are none or at least k.
"""

from __future__ import annotations

import json
import re
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from own_inputs import regressor, skops_bytes, table
from streamlit.testing.v1 import AppTest

from sesame_audit.model.build.builder import build_run
from sesame_audit.model.build.train import TreeParams
from sesame_audit.model.cli import main
from sesame_audit.model.importing.importer import import_files
from sesame_audit.model.person.subject_access import subject_access, to_json
from sesame_audit.model.report.document import build_report
from sesame_audit.model.runs.store import load_run

MAIN = str(Path(__file__).resolve().parents[1] / "app" / "main.py")
K = 11
REGIONS = ["harbour"] * 150 + ["hills"] * 142 + ["island"] * 5 + ["valley"] * 3
ROLES = """
id = "person"
target = "score"
sensitive = ["sex", "region"]
thresholds = [500.0, 600.0]
[privacy]
income = "financial"
debts = "financial"
district = "identity"
"""
PAGES = ("overview", "person", "drivers", "fairness", "proxies", "friends", "recourse",
         "hidden_rules", "policy_editor", "lessons", "about")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A runs folder with a synthetic run of 300 and an imported table with tiny groups."""
    root = tmp_path_factory.mktemp("cells")
    build_run("social-credit", 300, 0, root / "social-credit-n300-s0",
              params=TreeParams(max_iter=30))
    frame = table(300, seed=3)
    frame["region"] = np.random.default_rng(3).permutation(REGIONS)
    frame.to_parquet(root / "t.parquet", index=False)
    (root / "m.skops").write_bytes(skops_bytes(regressor(frame)))
    (root / "r.toml").write_text(ROLES)
    import_files(root / "t.parquet", root / "m.skops", root / "r.toml", root / "imported")
    for name in ("t.parquet", "m.skops", "r.toml"):
        (root / name).unlink()
    return root


class Groups:
    """True group sizes of a population, counted with pandas, and the checks."""

    def __init__(self, people: pd.DataFrame, sensitive: list[str]) -> None:
        self.people = people.assign(**{c: people[c].astype(str) for c in sensitive})
        self.sensitive = sensitive
        self.n = len(people)
        self.checked = 0
        self.labels: set[str] = set()  # names of the sensitive columns as pages show them

    def attribute_of(self, labels: list[str]) -> tuple[str, ...] | None:
        """The attribute (or pair) whose groups these labels are; None if none is."""
        parts = [label.split(" & ") for label in labels]
        width = {len(p) for p in parts}
        if len(width) != 1:
            return None
        options = ([(c,) for c in self.sensitive] if width == {1}
                   else list(combinations(self.sensitive, 2))
                   + [(b, a) for a, b in combinations(self.sensitive, 2)])
        for columns in options:
            values = [set(self.people[c]) for c in columns]
            if all(all(v in seen for v, seen in zip(p, values, strict=True)) for p in parts):
                return columns
        return None

    def sizes(self, columns: tuple[str, ...]) -> pd.Series:
        """True size of every group, labelled as the pages label them."""
        counts = self.people.groupby(list(columns)).size()
        return counts.set_axis([" & ".join(map(str, key if isinstance(key, tuple) else (key,)))
                                for key in counts.index])

    def check(self, shown: dict[str, float | None], where: str) -> None:
        """Every group shown holds k people; what is left out is none or k people.

        ``shown`` maps group label -> the count shown (None when the table shows no count).
        """
        columns = self.attribute_of(list(shown))
        if columns is None:
            return
        sizes = self.sizes(columns)
        for group, count in shown.items():
            assert sizes[group] >= K, f"{where}: {group} has {sizes[group]} people"
            if count is not None:
                assert count == sizes[group], f"{where}: {group} shown as {count}"
        rest = self.n - sum(sizes[g] for g in shown)
        assert rest == 0 or rest >= K, f"{where}: total minus shown groups = {rest}"
        if len(columns) == 2:  # a line of an intersection whose total its own table shows
            for position, column in enumerate(columns):
                margins = self.people[column].value_counts()
                for value, total in margins.items():
                    if total < K:
                        continue
                    inside = [g for g in shown if g.split(" & ")[position] == value]
                    left = total - sum(sizes[g] for g in inside)
                    if inside:
                        assert left == 0 or left >= K, f"{where}: {column}={value} leaves {left}"
        self.checked += 1


def _group_tables(at: AppTest) -> list[tuple[str, pd.DataFrame]]:
    """Every table on the page, and every chart's data, that has a group column."""
    found = []
    for frame in at.dataframe:
        value = frame.value
        if isinstance(value, pd.DataFrame):
            found.append(("table", value))
    for chart in at.get("vega_lite_chart"):
        for data in chart.proto.datasets:
            found.append(("chart", pa.ipc.open_stream(data.data.data).read_all().to_pandas()))
    return [(kind, f) for kind, f in found
            if any(c.lower() == "group" for c in f.columns)]


def _shown(frame: pd.DataFrame) -> dict[str, float | None]:
    group = next(c for c in frame.columns if c.lower() == "group")
    count = next((c for c in frame.columns if c.lower() in ("count", "people")), None)
    numbers = frame.drop(columns=[group]).select_dtypes("number")
    shown: dict[str, float | None] = {}
    for _, row in frame.iterrows():
        if count is not None and pd.notna(row[count]):
            shown[str(row[group])] = float(row[count])
        elif count is None and numbers.loc[_].notna().any():
            shown.setdefault(str(row[group]), None)
    return shown


def _tour_page(at: AppTest, groups: Groups, page: str) -> None:
    at.switch_page(f"views/{page}.py")
    at.run()
    assert not at.exception, (page, at.exception)
    for kind, frame in _group_tables(at):
        groups.check(_shown(frame), f"{page} {kind}")
    text = " ".join(e.value for e in [*at.markdown, *at.caption, *at.info])
    assert " 3 people" not in text and " 5 people" not in text
    for frame in at.dataframe:  # one person's friends: scores, never sensitive attributes
        if "Role" in frame.value.columns:
            assert not groups.labels & {str(c).lower() for c in frame.value.columns}


def _findings_check(findings: dict, groups: Groups, where: str) -> None:
    for attribute, by_group in findings["impact_ratios"].items():
        shown = {g: None for g, tiers in by_group.items()
                 if any(cell["n"] is not None for cell in tiers.values())}
        assert groups.attribute_of(list(by_group)) is not None, attribute
        groups.check(shown, f"{where} {attribute}")


@pytest.mark.parametrize("name", ["social-credit-n300-s0", "imported"])
def test_no_small_cell_anywhere(runs: Path, name: str, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SESAME_RUNS", str(runs))
    run = load_run(runs / name)
    sensitive = [c for c in run.roles.sensitive if c in run.people.columns]
    groups = Groups(pd.read_parquet(runs / name / "people"), sensitive)
    groups.labels = {n.lower() for c in sensitive for n in (c, run.roles.label(c))}
    if name == "imported":  # the table's own groups of 5 and 3
        assert sorted(groups.sizes(("region",)).tolist()) == [3, 5, 142, 150]
    at = AppTest.from_file(MAIN, default_timeout=120)
    at.session_state["run_name"] = name
    at.run()
    for page in PAGES:
        _tour_page(at, groups, page)
    at.switch_page("views/fairness.py")
    at.run()
    for first, second in [(sensitive[0], other) for other in sensitive[1:]]:
        at.selectbox(key="fair_attribute").set_value(first)
        at.selectbox(key="fair_second").set_value(second).run()
        assert not at.exception, at.exception
        for kind, frame in _group_tables(at):
            groups.check(_shown(frame), f"fairness {first} & {second} {kind}")
    at.switch_page("views/person.py")
    at.run()
    at.radio(key="person_mode").set_value("Search with filters").run()
    for attribute in sensitive:
        at.selectbox(key="search_column").set_value(attribute).run()
        sizes = groups.sizes((attribute,))
        for value in [*sizes.index[sizes < K], sizes.idxmax()]:
            at.selectbox(key="search_value").set_value(value).run()
            assert not at.exception, at.exception
            picked = at.selectbox(key="search_pick") if any(
                s.key == "search_pick" for s in at.selectbox) else None
            if sizes[value] < K:
                assert picked is None
                assert any(f"Fewer than {K} people match" in i.value for i in at.info)
    assert groups.checked >= 5

    assert main(["audit", str(runs / name), "--json"]) == 0
    audit = json.loads(capsys.readouterr().out)
    assert any(" & " in a for a in audit["impact_ratios"])  # intersections are audited
    _findings_check(audit, groups, "audit --json")
    report = json.loads(build_report(run, audit, "json", k=K))
    _findings_check(report["findings"], groups, "report")
    access = json.loads(to_json(subject_access(run, run.first_id())))
    assert set(access) == {"person", "run", "unit", "score", "score_text", "average_score",
                           "average_text", "tier", "next_tier", "reasons", "contributions",
                           "data", "shown_score"}
    for sentence in access["shown_score"]:  # a band's people, when named, are k or more
        for count in re.findall(r"of ([\d,]+) such profiles", sentence):
            assert int(count.replace(",", "")) >= K, sentence
