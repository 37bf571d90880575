"""dnre-quad dashboard: ``streamlit run app.py [-- --workspace DIR]``. Navigation only; pages live in pages/."""

import streamlit as st

from ui import session
from ui.workspace import WorkspaceCorrupt

# An emoji favicon is drawn by the browser itself; without one, Streamlit shows each page's Material icon as the
# favicon and fetches it from a font server on the internet (every page switch, and failing offline).
st.set_page_config(page_title="dnre-quad: quadcopter design by inference", page_icon="🚁", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/design_lab.py", title="Design lab", icon=":material/tune:"),
    st.Page("pages/data.py", title="Data", icon=":material/dataset:"),
    st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
    st.Page("pages/inverse_design.py", title="Inverse design", icon=":material/target:"),
    st.Page("pages/validate.py", title="Validate", icon=":material/verified:"),
    st.Page("pages/benchmarks.py", title="Benchmarks", icon=":material/bar_chart:"),
]

session.mark_routed()
current = st.navigation(PAGES)
session.resume_route(PAGES)
try:
    current.run()
except WorkspaceCorrupt as exc:  # the index was damaged while the server ran: say so, offer a fresh one
    session.offer_fresh_index(exc)
