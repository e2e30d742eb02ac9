"""Fairness: tier access and score by group or intersection, four-fifths rule, suppression."""

from __future__ import annotations

import streamlit as st

from sesame_audit.app.audit_charts import distribution_chart, impact_heatmap, tier_access_chart
from sesame_audit.app.audit_widgets import table_expander
from sesame_audit.app.glossary import explain, glossary_link
from sesame_audit.app.run_banner import identity_of, show_chart
from sesame_audit.app.state import audit_k, fairness_tables, select_run
from sesame_audit.app.story import show_fairness_lead
from sesame_audit.model.audit.fairness import four_fifths_headline
from sesame_audit.model.core.roles import LOW
from sesame_audit.model.core.safe_text import escape_markdown
from sesame_audit.model.core.units import reach_label

st.title("Whom does the score treat unfairly?")
run = select_run()
if run is not None:
    k = audit_k()
    options = [a for a in run.roles.sensitive if a in run.columns]
    if not options:
        st.info("This run has no sensitive attribute to compare groups by.")
        st.stop()
    name = run.roles.label
    first = st.selectbox("Compare groups by", options, format_func=name, key="fair_attribute",
                         help=explain("impact ratio"))
    second = st.selectbox("…crossed with (intersection)", ["", *[o for o in options
                                                                 if o != first]],
                          format_func=lambda c: name(c) if c else "nothing",
                          key="fair_second", help=explain("four-fifths rule"))
    attribute = (first, second) if second else first
    result = fairness_tables(run, run.key, attribute, k)
    tiers = [(t.name, t.min_score, reach_label(t.min_score, run.roles))
             for t in run.roles.tiers]
    show_fairness_lead(run, result["ratios"], attribute, k)
    glossary_link()
    st.markdown(escape_markdown(four_fifths_headline(result["ratios"], run.roles)))
    st.caption(escape_markdown(result["note"]))
    if result["table"]["suppressed"].all():
        st.warning(f"Every group has fewer than {k} people (or hides one that does): "
                   "there is nothing to show. Lower the smallest group shown.")
        st.stop()
    show_chart(run, tier_access_chart(result["ratios"], tiers))
    st.caption(f"A person reaches a tier with a score {run.roles.reach_words} its threshold. "
               "Compare bar lengths within a tier; black whiskers are 95% intervals. A bar "
               "outlined in black reaches the tier clearly less than four fifths as often as "
               "the reference group; a dashed outline, under four fifths but with too few "
               "people to be sure.")
    show_chart(run, impact_heatmap(result["ratios"], tiers))
    st.caption("Each cell divides a group's share by the reference group's share; '!' marks "
               "a ratio whose whole 95% interval lies under 0.8, '?' one under 0.8 whose "
               "interval reaches 0.8.")
    show_chart(run, distribution_chart(result["distribution"], tiers, roles=run.roles))
    side = "right" if run.roles.favourable == LOW else "left"
    fewer = ("get the perks" if identity_of(run)["synthetic"] else "reach it")
    st.caption(f"Each row is a group; where its dark cells sit {side} of a dashed tier "
               f"line, fewer of its people {fewer}.")
    table_expander(run.roles.labels, result["ratios"], result["table"], result["parity"],
                   tiers=tiers)
