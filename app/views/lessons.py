"""Lessons: a guided walkthrough for a class, every answer computed from the loaded run."""

from __future__ import annotations

import streamlit as st

from sesame_audit.app.state import lessons_of, load_folder, recourse_of, select_run
from sesame_audit.model.build.builder import build_run
from sesame_audit.model.course.lessons import (
    RECOURSE_SAMPLE,
    paired_preset,
    paired_run_path,
    recourse_gap,
)

st.title("What can a class find out about this score?")
run = select_run()
if run is None:
    st.stop()
st.markdown("Six questions, in order. Try each one in the dashboard first, then open the "
            "answer: it is worked out from the run loaded now, so it changes with the run.")

paired = paired_run_path(run)
other = load_folder(paired) if paired is not None and paired.is_dir() else None
if paired is not None and other is None:
    st.info(f"Lesson 5 compares this run with `{paired.name}`, which is not built yet.")
    if st.button(f"Build {paired.name}", key="lessons_build"):
        bar = st.progress(0.0, text="Starting")
        try:
            build_run(paired_preset(run), int(run.manifest["n"]),
                      int(run.manifest.get("seed", 0)), paired,
                      progress=lambda step, done: bar.progress(done, text=step))
            st.rerun()
        except (ValueError, OSError) as exc:
            st.error(f"The build failed and nothing was stored: {exc}")

steps = lessons_of(run, run.key, other, other.key if other is not None else "")
for number, lesson in enumerate(steps, start=1):
    st.header(f"{number}. {lesson.title}")
    st.markdown(lesson.question)
    st.caption(f"Where to look: {lesson.hint}")
    with st.expander("Show the answer"):
        (st.markdown if lesson.available else st.warning)(lesson.answer)

st.header("6. Who can do nothing?")
attribute = str(steps[0].figures.get("attribute", run.roles.sensitive[0]))
st.markdown(f"Among the people below a tier, who can reach it by changing only what they "
            f"control, and does it depend on {run.roles.label(attribute).lower()}?")
st.caption("Where to look: the Recourse page. The search takes a while: "
           f"{RECOURSE_SAMPLE} people are sampled.")
if st.button("Work out the answer", key="lessons_recourse"):
    found = recourse_of(run, run.key, RECOURSE_SAMPLE)
    lesson = recourse_gap(run, attribute, found=found)
    (st.markdown if lesson.available else st.warning)(lesson.answer)
