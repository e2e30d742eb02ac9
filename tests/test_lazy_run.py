"""Opening a run reads kilobytes: people by id, aggregates stored, the population on demand."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sesame_audit.model.audit.fairness import score_distribution, tier_table
from sesame_audit.model.build.write import write_run
from sesame_audit.model.figures.profile import column_profile
from sesame_audit.model.person.explained import explain_person, what_if
from sesame_audit.model.person.recourse import find_recourse
from sesame_audit.model.person.subject_access import person_data
from sesame_audit.model.runs import stored
from sesame_audit.model.runs import writer as run_writer
from sesame_audit.model.runs.run import Run
from sesame_audit.model.runs.store import load_run


def _in_memory(run: Run) -> Run:
    """The same run held in memory with no stored aggregates: every table is recomputed."""
    files = {k: v for k, v in run.manifest["files"].items() if not k.startswith("aggregates/")}
    return Run(run.path, {**run.manifest, "files": files}, run.roles,
               people=run.people.copy(), explanation=run.explanation, _model=run.model)


def test_profile_percentiles_and_quantiles_match_numpy() -> None:
    rng = np.random.default_rng(3)
    values = np.round(rng.gamma(2.0, 3.0, 5_000), 1)  # many ties
    profile = column_profile(pd.Series(values), categorical=False)
    ordered = np.sort(values)
    x = np.concatenate([values[:50], [-1.0, 1e6]])
    by_hand = (np.searchsorted(ordered, x, "left") + np.searchsorted(ordered, x, "right")) / (
        2.0 * len(ordered))
    np.testing.assert_allclose(profile.percentile(x), by_hand)
    p = np.array([0.0, 0.02, 0.1, 0.5, 0.77, 0.98, 1.0])
    np.testing.assert_array_equal(profile.quantile(p),
                                  np.quantile(values, p, method="inverted_cdf"))
    assert (profile.minimum, profile.maximum) == (values.min(), values.max())


def test_compressed_profile_keeps_the_range_and_percentiles_close() -> None:
    values = np.random.default_rng(4).normal(size=20_000)
    profile = column_profile(pd.Series(values), categorical=False, max_points=200)
    assert len(profile.values) == 200 and profile.total == 20_000
    assert (profile.minimum, profile.maximum) == (values.min(), values.max())
    x = np.linspace(-3, 3, 41)
    exact = np.searchsorted(np.sort(values), x) / len(values)
    assert np.max(np.abs(profile.percentile(x) - exact)) <= 1 / 200 + 1e-12


def test_categorical_profile_counts_categories() -> None:
    column = pd.Series(["b", "a", "b", None, "c", "b"])
    profile = column_profile(column, categorical=True)
    assert profile.categories == ["a", "b", "c"]
    assert profile.counts.tolist() == [1.0, 3.0, 1.0]


def test_a_person_is_read_by_id_without_the_population(social_path, social_run) -> None:
    lazy = load_run(social_path)
    assert not lazy.loaded
    ids = social_run.people[social_run.roles.id].to_numpy()
    for person in (ids[0], ids[len(ids) // 2], ids[-1]):
        record = lazy.person(person)
        i = int(np.flatnonzero(ids == person)[0])
        assert record.position == i
        pd.testing.assert_series_equal(record.row.iloc[0], social_run.people.iloc[i],
                                       check_names=False)
        np.testing.assert_array_equal(record.values.to_numpy(),
                                      social_run.explanation.values.iloc[i].to_numpy(np.float64))
        assert record.prediction == social_run.explanation.prediction[i]
        assert lazy.person(str(person)).position == i
    with pytest.raises(KeyError, match="no person"):
        lazy.person(10**9)
    with pytest.raises(KeyError, match="no person"):
        lazy.person("not an id")
    assert lazy.n == len(ids) and lazy.first_id() == ids[0]
    assert not lazy.loaded


def test_person_views_give_the_same_answers_without_loading(social_path, social_run) -> None:
    lazy = load_run(social_path)
    person = social_run.people[social_run.roles.id].iloc[7]
    assert explain_person(lazy, person) == explain_person(social_run, person)
    edits = {"payment_history": 0.99, "device": "iphone"}
    assert what_if(lazy, person, edits) == what_if(social_run, person, edits)
    assert find_recourse(lazy, person) == find_recourse(social_run, person)
    pd.testing.assert_frame_equal(person_data(lazy, person), person_data(social_run, person))
    assert not lazy.loaded


def test_a_run_split_into_parts_reads_like_one(social_run, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(run_writer, "PART_ROWS", 700)
    monkeypatch.setattr(run_writer, "ROW_GROUP", 128)
    out = write_run(tmp_path / "parts", people=social_run.people,
                    explanation=social_run.explanation, model=social_run.model,
                    roles=social_run.roles, manifest={"source": "synthetic"},
                    edges=social_run.edges)
    files = json.loads((out / "manifest.json").read_text())["files"]
    assert sorted(n for n in files if n.startswith("people/")) == [
        f"people/part-{i:05d}.parquet" for i in range(3)]
    lazy = load_run(out)
    ids = social_run.people[social_run.roles.id].to_numpy()
    for i in (0, 127, 128, 699, 700, 1500, len(ids) - 1):
        record = lazy.person(ids[i])
        assert record.position == i
        assert record.prediction == social_run.explanation.prediction[i]
    assert lazy.n == len(ids)
    pd.testing.assert_frame_equal(lazy.people, social_run.people)
    pd.testing.assert_frame_equal(lazy.explanation.values, social_run.explanation.values)
    pd.testing.assert_frame_equal(lazy.edges, social_run.edges)


def test_stored_aggregates_equal_the_ones_recomputed(social_path) -> None:
    lazy = load_run(social_path)
    full = _in_memory(load_run(social_path))
    for attribute in ("ethnicity", "hukou", ("ethnicity", "hukou"), ("hukou", "ethnicity")):
        pd.testing.assert_frame_equal(tier_table(lazy, attribute, k=11),
                                      tier_table(full, attribute, k=11))
        pd.testing.assert_frame_equal(score_distribution(lazy, attribute, k=11),
                                      score_distribution(full, attribute, k=11))
    for kept, computed in zip(stored.score_spread(lazy)[:2],
                                stored.score_spread(full)[:2], strict=True):
        pd.testing.assert_frame_equal(kept, computed)
    assert stored.score_spread(lazy)[2] == stored.score_spread(full)[2]
    for kept, computed in zip(stored.influence(lazy), stored.influence(full),
                                strict=True):
        pd.testing.assert_frame_equal(kept, computed)
    pd.testing.assert_frame_equal(stored.beeswarm(lazy)[0], stored.beeswarm(full)[0])
    assert stored.beeswarm(lazy)[1] == stored.beeswarm(full)[1]
    for kept, computed in zip(stored.sample(lazy), stored.sample(full), strict=True):
        pd.testing.assert_frame_equal(kept, computed)
    assert not lazy.loaded


def test_group_counts_and_shares_recomputed_by_hand(social_path, social_run) -> None:
    lazy = load_run(social_path)
    table = tier_table(lazy, "ethnicity", k=1).set_index("group")
    score = social_run.explanation.prediction
    for group, rows in social_run.people.groupby("ethnicity").groups.items():
        mine = score[social_run.people.index.get_indexer(rows)]
        assert table.loc[group, "count"] == len(rows)
        assert table.loc[group, "median_score"] == pytest.approx(float(np.median(mine)))
        for tier in social_run.roles.tiers:
            assert table.loc[group, f"share_{tier.name}"] == pytest.approx(
                float(np.mean(mine >= tier.min_score)))
    assert not lazy.loaded


def test_lookup_by_text_id_over_files_and_unsorted_row_groups(tmp_path) -> None:
    from sesame_audit.model.runs.row_lookup import count_rows, locate, read_position

    rng = np.random.default_rng(5)
    ids = [f"p{v}" for v in rng.permutation(1_000)]  # unsorted: row-group ranges overlap
    frame = pd.DataFrame({"who": ids, "x": np.arange(1_000, dtype=float)})
    files = [tmp_path / "a.parquet", tmp_path / "b.parquet"]
    frame.iloc[:600].to_parquet(files[0], row_group_size=64)
    frame.iloc[600:].to_parquet(files[1], row_group_size=64)
    assert count_rows(files) == 1_000
    for row in (0, 63, 64, 599, 600, 999):
        found = locate(files, "who", ids[row])
        assert found is not None and found.row == row
        assert read_position(files, row)["x"].iloc[0] == row
    assert locate(files, "who", "nobody") is None
    assert locate(files, "who", 17) is None
    with pytest.raises(IndexError, match="past the end"):
        read_position(files, 1_000)
    with pytest.raises(KeyError, match="no column"):
        locate(files, "missing", "p1")
