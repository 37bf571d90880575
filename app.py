"""dnre-quad dashboard entry point (landing page until the multi-page dashboard lands)."""

import streamlit as st

st.set_page_config(page_title="dnre-quad", layout="wide")
st.title("dnre-quad: quadcopter design by simulation-based inference")
st.markdown(
    "State the flight performance you want; get a posterior over the 19 design parameters of a quadcopter, "
    "computed with a Direct Neural Ratio Estimator (DNRE) trained on a physics-based flight simulator, "
    "then re-simulate the proposed designs to check that they meet the target."
)
