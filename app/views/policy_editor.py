"""Policy editor: change the hidden rules, rebuild a small population, compare the two runs."""

from __future__ import annotations

import streamlit as st

from sesame_audit.app import course_charts as charts
from sesame_audit.app.deployment import build_cap, one_build, write_root
from sesame_audit.app.run_banner import show_chart
from sesame_audit.app.state import audit_k, load_folder, select_run
from sesame_audit.app.teacher import HOW_TO_REVEAL, teacher_mode
from sesame_audit.datasets.policy import PolicyError, describe_term, parse_policy, policy_to_toml
from sesame_audit.model.core.safe_text import escape_markdown
from sesame_audit.model.course import compare
from sesame_audit.model.course.fidelity import NoHiddenRules, run_policy

st.title("What if the rules were different?")
run = select_run()
revealed = teacher_mode()
if run is None:
    st.stop()
try:
    policy = run_policy(run)
except NoHiddenRules as exc:
    st.warning(f"{escape_markdown(exc)}. Only a run generated from hidden rules can be edited "
               "and rebuilt.")
    st.stop()
if not revealed:
    st.info(HOW_TO_REVEAL + " The editor shows the rules, so it waits for it too.")
    st.stop()

how = st.radio("Edit", ["Switches and weights", "The policy file (TOML)"], horizontal=True,
               key="edit_how")
try:
    if how == "Switches and weights":
        on, weights = {}, {}
        for t in policy.terms:
            left, right = st.columns([3, 1], vertical_alignment="center")
            # the label stays short (a long one is cut at a phone's width); the rule below it
            on[t.feature] = left.toggle(escape_markdown(run.roles.label(t.feature)), t.enabled,
                                        key=f"on_{t.feature}")
            left.caption(escape_markdown(describe_term(t)))
            weights[t.feature] = right.number_input(
                f"New weight of {escape_markdown(run.roles.label(t.feature))} (points)",
                -1000.0, 1000.0,
                float(t.weight), 5.0, key=f"w_{t.feature}", label_visibility="collapsed")
        friends = st.number_input("Weight of the friends' mean score (points per point)",
                                  0.0, 0.89, float(policy.friends.weight), 0.05, key="w_friends")
        edited = compare.edit_policy(policy, weights=weights, enabled=on, friends_weight=friends)
    else:
        text = st.text_area("Policy file", policy_to_toml(policy), height=300, key="edit_toml")
        edited = parse_policy(text, name=f"{policy.name}-edited")
except PolicyError as exc:
    st.error(f"These rules cannot be used: {escape_markdown(exc)}")
    st.stop()

st.download_button("Download the edited rules (TOML)", policy_to_toml(edited),
                   file_name=f"{edited.name}.toml", mime="application/toml", key="edit_download",
                   help="Build it anywhere with `sesame-audit build --policy FILE`.")
most = min(compare.EDITOR_MAX_N, build_cap() or compare.EDITOR_MAX_N)
n = st.number_input("People in the rebuilt population", compare.EDITOR_MIN_N, most,
                    min(5_000, most), 1_000, key="edit_n")
if st.button("Rebuild with these rules", key="edit_build", type="primary"):
    with one_build() as free:
        if not free:
            st.warning("A build is already running in this session.")
            st.stop()
        bar = st.progress(0.0, text="Starting")
        try:
            path = compare.rebuild(edited, min(int(n), most), int(run.manifest.get("seed", 0)),
                                   root=write_root(),
                                   progress=lambda step, done: bar.progress(done, text=step))
            st.session_state["edited_run"] = (run.path.name, str(path))
        except (ValueError, OSError) as exc:
            st.error(f"The rebuild failed and nothing was stored: {escape_markdown(exc)}")

base, built = st.session_state.get("edited_run", ("", ""))
new = load_folder(built) if base == run.path.name else None
if new is not None:
    # short names: a legend cuts what passes a phone's width; the runs are named below
    runs = {"Loaded rules": run, "Edited rules": new}
    st.caption(escape_markdown(f"Loaded rules: run {run.path.name}. Edited rules: run "
                               f"{new.path.name}."))
    scores, drivers = compare.compare_scores(runs), compare.compare_drivers(runs)
    show_chart(run, charts.score_distributions(scores))
    st.caption("Each line is the share of people in each 25-point band of the model's score.")
    attribute = st.selectbox("Group people by", run.roles.sensitive, key="edit_attribute",
                             format_func=run.roles.label)
    tier = st.selectbox("Tier", run.roles.tier_names, index=2, key="edit_tier",
                        format_func=lambda t: t.replace("_", " "))
    k = audit_k()
    tiers = compare.compare_tiers(runs, attribute, k=k)
    show_chart(run, charts.tier_access(tiers, tier, run.roles.label(attribute)))
    st.caption("Bars side by side show each group's access to the tier under both rule sets; "
               f"groups under {k} people are hidden.")
    show_chart(run, charts.drivers(drivers))
    st.caption("How many points, on average, each feature moves a score under each rule set.")
