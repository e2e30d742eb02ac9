"""Audit your own model: bring a table, a skops model and column roles; get a run folder."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import streamlit as st

from sesame_audit.app.deployment import require_settings, write_root
from sesame_audit.app.state import audit_k, available_runs, choose_run, select_run
from sesame_audit.model.audit.findings import audit_findings
from sesame_audit.model.core.bad_input import MAX_BYTES, BadInputError
from sesame_audit.model.core.safe_text import escape_markdown
from sesame_audit.model.importing.cells import missing_text
from sesame_audit.model.importing.importer import import_run, read_model
from sesame_audit.model.importing.roles_file import parse_roles_bytes, with_thresholds
from sesame_audit.model.importing.roles_form import parse_thresholds, suggest_roles
from sesame_audit.model.importing.table_file import read_table
from sesame_audit.model.report.document import build_report
from sesame_audit.model.runs.destination import run_path
from sesame_audit.model.runs.model_files import model_file_types
from sesame_audit.model.runs.store import load_run

MIME = {"html": "text/html", "pdf": "application/pdf", "json": "application/json"}
NONE = "(none)"
ROW_NUMBER = "(row number)"

config = require_settings()
limit = min(MAX_BYTES, st.get_option("server.maxUploadSize") * 2**20)
st.title("Audit your own model")
st.caption(f"A table (CSV in UTF-8, or Parquet) and a scikit-learn model saved with skops "
           "(or a LightGBM model saved as text by `Booster.save_model`, a .txt file, or an "
           "XGBoost model saved as JSON by `Booster.save_model(\"model.json\")`, a .json "
           "file), "
           f"each at most {limit // 2**20} MiB. Pickle and joblib files are refused: "
           "loading them can run any code. Nothing is stored until every check passes.")

# A deployment serving people other than the server's owner takes uploads only, so that
# nobody can make the app read files from the server's disk.
if config.uploads_only:
    where = "Upload"
else:
    where = st.radio("Files", ["Upload", "Paths on this server"], key="own_where",
                     horizontal=True)
files: dict[str, tuple[str, bytes] | None] = {}
for kind, types in (("table", ["csv", "parquet", "pq", "txt"]), ("model", ["skops", "txt", "json"]),
                    ("roles", ["toml"])):
    label = {"table": "Table", "model": "Model (.skops, LightGBM .txt or XGBoost .json)",
             "roles": "Roles file (.toml, optional: or fill in the form below)"}[kind]
    if where == "Upload":
        upload = st.file_uploader(label, type=types, key=f"own_{kind}")
        files[kind] = (upload.name, upload.getvalue()) if upload is not None else None
        if upload is not None and upload.size > limit:
            st.error(f"{escape_markdown(upload.name)} is over the {limit // 2**20} MiB limit.")
            files[kind] = None
    else:
        raw = st.text_input(label + ": path", key=f"own_{kind}_path").strip()
        path = Path(raw)
        if raw and not path.is_file():
            st.error(f"No {kind} file at {escape_markdown(raw)}.")
        files[kind] = ((path.name, path.read_bytes()) if raw and path.is_file()
                       and path.stat().st_size <= MAX_BYTES else None)
        if raw and path.is_file() and files[kind] is None:
            st.error(f"{escape_markdown(path.name)} is over the {MAX_BYTES // 2**20} MiB limit.")
delimiter = st.text_input("CSV delimiter", ",", max_chars=1, key="own_delimiter")

if files["table"] is None or files["model"] is None:
    st.info("Bring a table and a model to start.")
else:
    try:
        table = read_table(files["table"][1], files["table"][0], delimiter=delimiter or ",")
        asked, refused_types = model_file_types(files["model"][1], files["model"][0])
        refused = set(refused_types)
        with st.expander(f"The model file asks for {len(asked)} types", expanded=bool(refused)):
            st.dataframe({"type": asked, "allowed": [t not in refused for t in asked]},
                         hide_index=True)
        model_file = read_model(files["model"][1], files["model"][0])
        if files["roles"] is not None:
            spec = parse_roles_bytes(files["roles"][1], files["roles"][0])
            st.success(f"Roles read from {escape_markdown(files['roles'][0])}.")
        else:
            guess = suggest_roles(table)
            columns = [str(c) for c in table.columns]
            st.header("Column roles (suggested from names and types: check them)")
            left, right = st.columns(2)
            ident = left.selectbox("Id column", [ROW_NUMBER, *columns], key="own_id",
                                   index=1 + columns.index(guess.id) if guess.id else 0)
            target = right.selectbox("Target (recorded outcome or score)", [NONE, *columns],
                                     key="own_target", index=1 + columns.index(guess.target)
                                     if guess.target else 0)
            sensitive = st.multiselect("Sensitive attributes", columns,
                                       default=list(guess.sensitive), key="own_sensitive")
            classes = [str(c) for c in getattr(model_file.model, "classes_", [])]
            positive = (st.selectbox("Scored class", classes, index=len(classes) - 1,
                                     key="own_positive") if classes else None)
            favourable = st.radio("Good for the person", ["high", "low"], horizontal=True,
                                  key="own_favourable", format_func=lambda v: f"a {v} score",
                                  help="Low for a risk, a predicted default or days late: "
                                  "a tier is then reached at or below its threshold.")
            thresholds = st.text_input(
                "Decision threshold(s)" + (" (probabilities)" if classes else " (score)"),
                "0.5" if classes else "", key="own_thresholds",
                help="Least favourable first: ascending for a high favourable score, "
                "descending for a low one.")
            spec = with_thresholds(replace(
                guess, id=None if ident == ROW_NUMBER else ident,
                target=None if target == NONE else target, sensitive=tuple(sensitive),
                inputs=None, positive_class=positive, favourable=favourable),
                parse_thresholds(thresholds))
        name = st.text_input("Run name", f"imported-{Path(files['table'][0]).stem}"[:60],
                             key="own_name")
        left, right = st.columns(2)
        sample = left.number_input(
            "People to explain if only approximate SHAP fits the model (0: everyone)",
            min_value=0, max_value=10_000_000, value=0, step=500, key="own_sample",
            help="Models with no exact explainer (not trees, not linear) are explained by "
                 "permutation, which is slow; a random sample of this many people is then "
                 "explained and audited instead, and every page says so. Tree and linear "
                 "models are always explained for everyone.")
        seed = right.number_input("Seed of the sample", min_value=0, max_value=2**32 - 1,
                                  value=0, key="own_seed")
        overwrite = st.checkbox("Replace a run of that name", key="own_replace",
                                help="Only a run imported in this session, in deployment mode."
                                if config.on else None)
        if st.button("Import and explain", type="primary", key="own_import"):
            out = run_path(name, write_root())
            if config.on and out.name in available_runs() and not out.exists():
                raise BadInputError(f"a shared run is named {out.name!r}: choose another name")
            bar = st.empty()

            def progress(done: int, rows: int, seconds_left: float) -> None:
                bar.progress(done / rows, text=f"Explained {done:,} of {rows:,} rows, about "
                             f"{seconds_left:,.0f} s left")

            with st.spinner("Checking, explaining with SHAP, writing the run…"):
                import_run(table, model_file, spec, out, table_name=files["table"][0],
                           table_sha256=hashlib.sha256(files["table"][1]).hexdigest(),
                           replace=overwrite, progress=progress,
                           explain_sample=int(sample) or None, seed=int(seed))
            bar.empty()
            choose_run(out.name)
            st.success(f"Imported as run '{escape_markdown(out.name)}': every page now audits "
                       "it.")
            imported = load_run(out)
            missing = missing_text(imported.manifest["data"].get("missing", {}), imported.n)
            if missing:
                st.info(escape_markdown(missing[0].upper() + missing[1:] + "."))
    except BadInputError as exc:
        st.error(escape_markdown(str(exc)))
    except OSError as exc:
        st.error(escape_markdown(f"The run could not be written and nothing was stored: {exc}"))

st.divider()
st.header("Report of the loaded run")
run = select_run()
if run is not None:
    shap_info = run.manifest.get("shap", {})
    if run.manifest.get("source") == "imported":
        st.info(f"Run '{escape_markdown(run.path.name)}' explains "
                f"{escape_markdown(shap_info.get('explains'))}: "
                f"{escape_markdown(shap_info.get('note'))}.")
    fmt = st.radio("Format", list(MIME), key="own_report_format", horizontal=True,
                   format_func=str.upper)
    k = audit_k()
    wanted = (run.key, fmt, k)
    if st.button("Prepare the report", key="own_report"):
        with st.spinner("Auditing the run and writing the report…"):
            st.session_state["own_report_data"] = (
                wanted, build_report(run, audit_findings(run, k=k), fmt, k=k))
    ready = st.session_state.get("own_report_data")
    if ready is not None and ready[0] == wanted:
        st.download_button(f"Download the {fmt.upper()} report", ready[1],
                           file_name=f"{run.path.name}-audit.{fmt}", mime=MIME[fmt],
                           key="own_download")
