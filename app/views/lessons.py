"""Lessons: a guided walkthrough for a class, every answer computed from the loaded run."""

from __future__ import annotations

import streamlit as st

from sesame_audit.app.deployment import build_cap, one_build, require_settings, write_root
from sesame_audit.app.run_banner import identity_of
from sesame_audit.app.state import audit_k, lessons_of, load_folder, recourse_of, select_run
from sesame_audit.app.teacher import teacher_mode
from sesame_audit.model.build.builder import build_run
from sesame_audit.model.core.safe_text import escape_markdown
from sesame_audit.model.course.lessons import (
    RECOURSE_SAMPLE,
    paired_preset,
    paired_run_path,
    recourse_gap,
)
from sesame_audit.model.course.worksheet import worksheet_pdf
from sesame_audit.model.runs.identity import identity_line

st.title("What can a class find out about this score?")
run = select_run()
if run is None:
    st.stop()
if not identity_of(run)["synthetic"]:
    st.info("The lessons are written for the synthetic scenarios and their hidden rules: "
            "choose a scenario's run in the sidebar to follow them. The other pages audit "
            "this run.")
    st.stop()
st.markdown("Six questions, in order. Try each one in the dashboard first, then open the "
            "answer: it is worked out from the run loaded now, so it changes with the run.")
# In deployment mode the answers are for the teacher: students see the questions.
answers = not require_settings().on or teacher_mode()
if not answers:
    st.info("The answers open in Teacher mode (sidebar).")

try:
    paired = paired_run_path(run)
    if paired is not None and not paired.is_dir():
        paired = paired_run_path(run, root=write_root())
except ValueError as exc:
    st.warning(f"Lesson 5 cannot use the paired run: {exc}")
    paired = None
other = load_folder(paired) if paired is not None and paired.is_dir() else None
if paired is not None and other is None:
    st.info(f"Lesson 5 compares this run with {escape_markdown(paired.name)}, which is not "
            "built yet.")
    cap, n = build_cap(), int(run.manifest["n"])
    if cap is not None and n > cap:
        st.caption(f"Builds here stop at {cap:,} people; this run has {n:,}.")
    elif st.button(f"Build {escape_markdown(paired.name)}", key="lessons_build"):
        with one_build() as free:
            if not free:
                st.warning("A build is already running in this session.")
                st.stop()
            bar = st.progress(0.0, text="Starting")
            try:
                build_run(paired_preset(run), n, int(run.manifest.get("seed", 0)), paired,
                          progress=lambda step, done: bar.progress(done, text=step))
            except (ValueError, OSError) as exc:
                st.error(f"The build failed and nothing was stored: {escape_markdown(exc)}")
                st.stop()
        st.rerun()


def worksheet_button(number: int, title: str, question: str, hint: str) -> None:
    """A download of the lesson's printable worksheet, made only when it is clicked."""
    line = identity_line(identity_of(run))
    st.download_button(
        "Printable worksheet (PDF)", lambda: worksheet_pdf(number, title, question, hint, line),
        file_name=f"worksheet-{run.path.name}-lesson-{number}.pdf", mime="application/pdf",
        key=f"lessons_worksheet_{number}", on_click="ignore")


k = audit_k()
steps = lessons_of(run, run.key, other, other.key if other is not None else "", k)
for number, lesson in enumerate(steps, start=1):
    st.header(f"{number}. {escape_markdown(lesson.title)}")
    st.markdown(escape_markdown(lesson.question))
    st.caption(f"Where to look: {escape_markdown(lesson.hint)}")
    worksheet_button(number, lesson.title, lesson.question, lesson.hint)
    if answers:
        with st.expander("Show the answer"):
            (st.markdown if lesson.available else st.warning)(escape_markdown(lesson.answer))

st.header("6. Who can do nothing?")
attribute = str(steps[0].figures.get("attribute", run.roles.sensitive[0]))
grouping = run.roles.label(attribute).lower()
question = (f"Among the people below a tier, who can reach it by changing only what they "
            f"control, and does it depend on {grouping}?")
hint = f"the Recourse page. The search takes a while: {RECOURSE_SAMPLE} people are sampled."
st.markdown(escape_markdown(question))
st.caption(f"Where to look: {escape_markdown(hint)}")
worksheet_button(6, "Who can do nothing?", question, hint)
if answers and st.button("Work out the answer", key="lessons_recourse"):
    found = recourse_of(run, run.key, RECOURSE_SAMPLE)
    lesson = recourse_gap(run, attribute, found=found, k=k)
    (st.markdown if lesson.available else st.warning)(escape_markdown(lesson.answer))
