"""The Outcomes page toured on an imported classifier that records outcomes."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from outcome_inputs import import_outcome_run
from streamlit.testing.v1 import AppTest

from sesame_audit.model.audit.classifier_views import cutoff_grid
from sesame_audit.model.runs.store import load_run

PAGE = str(Path(__file__).resolve().parents[1] / "app" / "views" / "outcomes.py")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("outcome_pages")
    import_outcome_run(folder, "loans")
    import_outcome_run(folder, "no-target", roles='id = "person"\nsensitive = ["sex"]\n'
                                                  'positive_class = "yes"\n'
                                                  'thresholds = [0.5]\n')
    return folder / "runs"


def _page(runs: Path, name: str, monkeypatch) -> AppTest:
    monkeypatch.setenv("SESAME_RUNS", str(runs))
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["run_name"] = name
    return at.run()


def _charts(at: AppTest) -> list[tuple[str, list[dict]]]:
    """Each chart's title and the rows of every dataset Streamlit sent with it."""
    found = []
    for element in at.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        rows = [row for ds in element.proto.datasets
                for row in pa.ipc.open_stream(ds.data.data).read_pandas().to_dict("records")]
        title = spec.get("title")
        text = title.get("text") if isinstance(title, dict) else title
        found.append((" ".join(text) if isinstance(text, list) else str(text), rows))
    return found


def _chart(at: AppTest, words: str) -> list[dict]:
    return next(rows for title, rows in _charts(at) if words in title)


def _by_hand(runs: Path, cutoff: float) -> dict[str, int]:
    run = load_run(runs / "loans")
    frame = pd.read_csv(runs.parent / "loans.csv").set_index("person").loc[run.people["person"]]
    y = (frame["approved"] == "yes").to_numpy()
    d = np.asarray(run.explanation.prediction) >= cutoff
    return {"true positive": int((y & d).sum()), "false positive": int((~y & d).sum()),
            "false negative": int((y & ~d).sum()), "true negative": int((~y & ~d).sum())}


def _confusion(at: AppTest) -> dict[str, int]:
    return {row["kind"]: row["people"] for row in _chart(at, "Confusion") if "kind" in row}


def test_the_page_tours_an_imported_classifier(runs, monkeypatch) -> None:
    at = _page(runs, "loans", monkeypatch)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "How do the model's decisions compare with what happened?"
    assert "approved = yes (1) or not (0)" in at.text[0].value
    assert "probability 0.5" in at.text[0].value
    assert len(at.get("vega_lite_chart")) == 5
    assert _confusion(at) == _by_hand(runs, 0.0)
    slider = at.select_slider(key="outcomes_cutoff")
    higher = cutoff_grid(load_run(runs / "loans").roles)[13]  # probability 0.7
    assert 1 / (1 + math.exp(-higher)) == pytest.approx(0.7)
    slider.set_value(higher).run()
    assert not at.exception
    assert _confusion(at) == _by_hand(runs, higher)
    groups = {row["group"] for row in _chart(at, "Error rates") if "group" in row}
    assert groups == {"female", "male"}
    assert any(t.value.startswith("Equalised-odds difference") for t in at.text)
    # the cutoff axes read in probabilities, as the slider and the thresholds do
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    swept = [s for s in specs if any(w in json.dumps(s.get("title")) for w in
                                     ("Accuracy as the", "impact ratio as the"))]
    assert len(swept) == 2
    for spec in swept:
        axis = next(layer["encoding"]["x"] for layer in spec["layer"]
                    if "cutoff" in json.dumps(layer.get("encoding", {}).get("x", {})))
        assert axis["title"] == "Cutoff (probability, on the log-odds scale)"
        assert "exp(-datum.value)" in axis["axis"]["labelExpr"]


def test_an_intersection_hides_small_groups(runs, monkeypatch) -> None:
    at = _page(runs, "loans", monkeypatch)
    at.selectbox(key="outcomes_attribute").set_value("region").run()
    at.selectbox(key="outcomes_second").set_value("sex").run()
    assert not at.exception, [e.value for e in at.exception]
    shown = {row["group"] for row in _chart(at, "Error rates") if "group" in row}
    assert shown and not any(g.startswith("isle") for g in shown)
    fjord = [row for row in _chart(at, "Error rates") if row["group"].startswith("fjord")]
    assert not any(row["rate"] == "True positive rate" for row in fjord)  # 5 people
    swept = {row.get("group") for row in _chart(at, "impact ratio as the cutoff")}
    assert swept and not any(str(g).startswith("isle") for g in swept)


def test_a_run_without_outcomes_says_so(runs, monkeypatch) -> None:
    at = _page(runs, "no-target", monkeypatch)
    assert not at.exception
    assert "records no outcome" in at.info[0].value
    assert not at.get("vega_lite_chart")
