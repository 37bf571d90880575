"""dnre-quad dashboard: ``streamlit run app.py [-- --workspace DIR]``. Navigation only; pages live in pages/."""

import streamlit as st

st.set_page_config(page_title="dnre-quad: quadcopter design by inference", page_icon="🛸", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home", icon="🏠", default=True),
    st.Page("pages/design_lab.py", title="Design lab", icon="🛠️"),
    st.Page("pages/data.py", title="Data", icon="🗂️"),
    st.Page("pages/train.py", title="Train", icon="🧠"),
    st.Page("pages/inverse_design.py", title="Inverse design", icon="🎯"),
    st.Page("pages/validate.py", title="Validate", icon="✅"),
    st.Page("pages/benchmarks.py", title="Benchmarks", icon="📊"),
]

st.navigation(PAGES).run()
