"""Overview: which scenario is loaded, how the score is spread, who reaches which tier."""

from __future__ import annotations

import streamlit as st

from sesame_audit.app import charts, state
from sesame_audit.app.glossary import explain, glossary_link
from sesame_audit.app.run_banner import identity_of, show_chart
from sesame_audit.app.story import show_penalty
from sesame_audit.datasets.dictionary import PILLARS
from sesame_audit.model.core import units
from sesame_audit.model.core.safe_text import escape_markdown
from sesame_audit.model.core.wording import metric_label, metric_meaning
from sesame_audit.model.figures.suppress import count_text
from sesame_audit.model.runs.stored import accuracy, r2_label

st.title("What does this score decide, and how is it spread?")
run = state.select_run()
if run is None:
    st.stop()

roles = run.roles
synthetic = identity_of(run)["synthetic"]
k = state.audit_k()
show_penalty(run, k)
glossary_link()
st.header("How the score is spread")
histogram, tiers, below = state.score_spread(run.key, run)
fit = accuracy(run)
cols = st.columns(4)
cols[0].metric("People", f"{run.n:,}")
cols[1].metric("Average score", units.format_value(run.base, roles))
if "r2" in fit:
    measured = r2_label(run.manifest.get("metrics", {}))
    cols[2].metric(metric_label("r2", run.manifest.get("metrics", {})), f"{fit['r2']:.3f}",
                   help="How much of the recorded score's variation the model reproduces "
                        + ("on people it was not trained on" if measured.startswith("held")
                           else "on the audited table, which may include the people it was "
                                "trained on") + ". " + explain("R²"))
    cols[3].metric(metric_label("mae_points"),
                   units.format_change(fit["mae_points"], roles, signed=False),
                   help=metric_meaning("mae_points"))
if "accuracy" in fit:
    cols[2].metric(metric_label("accuracy"), f"{fit['accuracy']:.1%}",
                   help=metric_meaning("accuracy"))
    if "auc" in fit:
        cols[3].metric(metric_label("auc"), f"{fit['auc']:.3f}",
                       help="Chance that a person with the scored outcome ranks above one "
                            "without it. " + explain("AUC"))
    extra = [f"{metric_label('positive_rate').lower()} {fit['positive_rate']:.1%}"] \
        if "positive_rate" in fit else []
    extra += [f"{metric_label('brier')} {fit['brier']:.3f}"] if "brier" in fit else []
    if extra:
        st.caption("Also: " + ", ".join(extra) + ".")
if "r2_hidden" in fit:
    st.caption(f"Against the hidden rules without noise: R² {fit['r2_hidden']:.3f}, "
               f"typical error "
               f"{units.format_change(fit['mae_hidden_points'], roles, signed=False)}.")
if not fit:
    st.caption("No accuracy was measured: the run has no recorded outcome to compare with.")

show_chart(run, charts.score_histogram_chart(histogram, tiers, roles=roles))
width = float(histogram["end"].iloc[0] - histogram["start"].iloc[0]) if len(histogram) else 0.0
st.caption(f"Each bar counts people in a band of "
           f"{units.format_change(width, roles, signed=False)} of the score under audit; "
           "dashed lines mark where a tier starts.")

show_chart(run, charts.tier_chart(tiers, roles=roles, synthetic=synthetic))
if synthetic:
    st.caption("Look at how quickly the share of people falls for the perks press reports "
               "describe (blue) and the ones they only speculate about (orange).")
else:
    st.caption("The share of people whose score reaches each threshold.")
if below["threshold"] is not None:
    people = count_text(below["people"], k=k)
    share = f" ({below['share']:.0%})" if people == f"{below['people']:,}" else ""
    st.warning(f"{people[:1].upper()}{people[1:]} people{share} score {roles.worse_side} "
               f"{units.format_threshold(below['threshold'], roles)}. "
               f"{escape_markdown(below['note'])}")

used = set(roles.pillars.values())
pillars = [p for p in PILLARS if p in used] + sorted(used - set(PILLARS))
if pillars and synthetic:
    st.header("What the score is said to read: five pillars")
    for pillar in pillars:
        st.markdown(f"- **{escape_markdown(pillar.capitalize())}**: {PILLARS.get(pillar, '')}")
