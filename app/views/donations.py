"""Audit from donations: what a campaign of donated records finds, beside the truth."""

from __future__ import annotations

import json

import streamlit as st

from sesame_audit.app import donation_charts as charts
from sesame_audit.app import state
from sesame_audit.app.audit_widgets import table_expander
from sesame_audit.app.deployment import build_cap, one_build
from sesame_audit.app.run_banner import show_chart
from sesame_audit.app.teacher import teacher_mode
from sesame_audit.model.core.safe_text import escape_markdown, to_csv_bytes
from sesame_audit.model.core.wording import readable
from sesame_audit.model.donations.campaign import PRESETS, campaign_counts
from sesame_audit.model.donations.donated import report_markdown

st.title("Audit from donations: a score you cannot see")
run = state.select_run()
revealed = teacher_mode()
if run is None:
    st.stop()
k, name = state.audit_k(), run.roles.label
most = min(run.n, build_cap() or run.n)  # a deployment caps the work a visitor asks for
st.text("Outside a simulation no one gets the operator's model. People can request their own "
        "record and donate it; a stand-in model fitted on the donations is then audited. "
        "Here the campaign is simulated on this run, so its findings can be set beside the "
        "truth.")

with st.form("donation_campaign"):
    left, middle, right = st.columns(3)
    requests = left.number_input("People who request their record", min_value=100,
                                 max_value=most, value=min(most, 20_000), step=500,
                                 key="donation_requests")
    response = middle.slider("Share who donate it", 0.02, 1.0, 0.15, 0.01,
                             key="donation_response")
    bias = right.selectbox("Who donates more often", list(PRESETS), index=1,
                           key="donation_bias")
    refits = left.number_input("Refits of the stand-in (bootstrap)", 0,
                               10 if build_cap() else 50, 5, key="donation_refits")
    seed = middle.number_input("Seed", 0, 2**31 - 1, 0, key="donation_seed")
    started = st.form_submit_button("Run the campaign")
if started:
    st.session_state["donation_settings"] = (int(requests), float(response), bias, int(seed),
                                             int(refits))
settings = st.session_state.get("donation_settings")
if settings is None:
    st.info("Set up a campaign and run it: the stand-in's findings appear here.")
    st.stop()

with one_build() as free:
    if not free:
        st.warning("A campaign is already being simulated in this session.")
        st.stop()
    try:
        campaign, audit = charts.campaign_audit(run, run.key, *settings[:4], k, settings[4])
    except ValueError as exc:  # a bad input named by the model (BadInputError and others)
        st.error(f"The campaign could not be audited: {escape_markdown(exc)}")
        st.stop()
if not revealed:
    audit = charts.without_rules(audit)
st.text(campaign_counts(campaign.summary) + ".")
found = audit["findings"]
if found.get("not_weighted_because"):
    st.warning("Donors could not be weighted to the population: "
               f"{escape_markdown(found['not_weighted_because'])}")
chosen = next(c for c in audit["standin"]["candidates"] if c["chosen"])
st.text(f"Stand-in: {chosen['model']}, cross-validated R² {chosen['cv_r2']:.3f} over "
        f"{found['donations']:,} donations.")

attributes = list(dict.fromkeys(r["attribute"] for r in found["impact_ratios"]))
left, right = st.columns(2)
attribute = left.selectbox("Group by", attributes, format_func=name, key="donation_attribute")
tier = right.selectbox("Tier", list(run.roles.tier_names), key="donation_tier",
                       format_func=readable)
ratios = charts.ratio_frame(audit, attribute, tier)
if ratios.empty:
    st.info(f"No group of {name(attribute).lower()} has at least {k} donors at this tier.")
else:
    show_chart(run, charts.ratio_chart(ratios, f"Reaching {readable(tier)}: "
                                              f"{name(attribute)}, impact ratio with 95% "
                                              "interval"))
    st.caption(f"Donated: the donors' recorded scores. Weighted: donors raked to the "
               f"population's shares of each group. White-box: everyone, with the operator's "
               f"model. Groups with fewer than {k} donors are hidden.")
    table_expander(run.roles.labels, ratios)

truth = audit["truth"]
if truth is not None:
    st.header("Against the truth")
    counts = truth["counts"]
    st.text(f"White-box four-fifths findings confirmed by the donations: "
            f"{counts['confirmed']}, missed: {counts['missed']}; invented: "
            f"{counts['invented']}.")
    moved = charts.verdict_frame(truth, attribute)
    if not moved.empty:
        st.caption("How the selection of donors moved each ratio (shift = donated minus "
                   "white-box), and each finding's verdict:")
        table_expander(run.roles.labels, moved)
    if "rules" in truth:
        st.text(f"Hidden rules recovered by the stand-in: {truth['rules_recovered']} of "
                f"{truth['rules_total']}.")
        table_expander(run.roles.labels, charts.rules_frame(truth))
    else:
        st.caption("Teacher mode shows which hidden rules the stand-in recovers.")

st.header("How many donations does a campaign need?")
sizes = tuple(m for m in (250, 500, 1_000, 2_000, 4_000, 8_000, 16_000) if m <= run.n)
if run.policy_text is None or not sizes:
    st.info("Power curves need a synthetic run of at least 250 people.")
elif st.button("Simulate campaigns of every size", key="donation_plan"):
    st.session_state["donation_planned"] = True
if st.session_state.get("donation_planned") and run.policy_text is not None and sizes:
    plan = charts.campaign_plan(run, run.key, sizes, 30, k, revealed)
    finding = st.selectbox("Finding", list(plan["needed"]), key="donation_finding",
                           format_func=lambda f: charts.finding_words(f, run.roles))
    curve = charts.power_frame(plan, finding)
    show_chart(run, charts.power_chart(
        curve, f"Chance of detecting: {charts.finding_words(finding, run.roles)}"))
    st.caption(f"{plan['reps']} simulated campaigns per size and bias; the band is the 95% "
               "interval of the chance.")
    table_expander(run.roles.labels, curve)

st.header("Downloads")
left, right = st.columns(2)
left.download_button("Download the donations (CSV)", to_csv_bytes(campaign.table),
                     file_name="donations.csv", mime="text/csv", key="donation_csv",
                     on_click="ignore")
right.download_button("Download the donation audit (Markdown)",
                      report_markdown(audit, run.roles.labels),
                      file_name="donation-audit.md", mime="text/markdown",
                      key="donation_report", on_click="ignore")
st.download_button("Download the donation audit (JSON)",
                   json.dumps(audit, indent=2, allow_nan=False),
                   file_name="donation-audit.json", mime="application/json",
                   key="donation_json", on_click="ignore")
