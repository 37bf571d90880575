"""Train: fit DNRE / NRE / BNRE on a data set in the background, watch the loss live, compare models."""

from dataclasses import replace

import pandas as pd
import streamlit as st

from dnre_core.estimators import DNRE_HEADS
from dnre_core.training import LR_SCHEDULES
from ui import plots, session
from ui.domain import LOWER, UPPER
from ui.model_checks import consistency_columns, consistency_verdict
from ui.training_job import DASHBOARD_DEFAULTS as DEFAULTS
from ui.training_job import METHODS, TrainingRequest, training_job
from ui.widgets import job_status

session.ensure_routed(__file__)

AVERAGING_NOTE = ("Validation losses are those of the averaged weights (the weights the model keeps); with weight "
                  "averaging on they can trail the training loss slightly, since the average spans up to about 100 "
                  "optimiser steps.")

st.title("Train")
workspace, runner = session.workspace(), session.runner()
datasets = workspace.datasets()
if not datasets:
    st.error("The workspace has no data set to train on: simulate or import one on the **Data** page first.")
else:
    dataset = st.selectbox("Data set", datasets, format_func=lambda d: f"{d.name} ({d.n_rows:,} rows, {d.id})", key="train_ds")
    c1, c2, c3, c4 = st.columns(4)
    estimator = c1.selectbox("Estimator", list(METHODS), index=METHODS.index(DEFAULTS.method), key="train_est",
                             help="DNRE: direct ratio d(θ, θ′, x); NRE / BNRE: classifier baselines.")
    hidden = c2.number_input("Hidden units per layer", 8, 1024, DEFAULTS.hidden_features, step=8, key="train_hidden")
    layers = c3.number_input("Hidden layers", 1, 10, DEFAULTS.num_layers, key="train_layers")
    mask = c4.number_input("Metric masking probability", 0.0, 0.9, DEFAULTS.mask_probability, step=0.05, key="train_mask", help="> 0 lets the model condition on any subset of metrics (free metrics in the target).")
    c5, c6, c7, c8 = st.columns(4)
    epochs = c5.number_input("Max epochs", 1, 5000, DEFAULTS.max_epochs, key="train_epochs")
    lr = c6.number_input("Learning rate", 1e-6, 1.0, DEFAULTS.learning_rate, format="%.1e", key="train_lr")
    batch = c7.number_input("Batch size", 16, 8192, DEFAULTS.batch_size, step=16, key="train_batch")
    seed = c8.number_input("Seed", 0, 2**31 - 1, DEFAULTS.seed, key="train_seed")
    c9, c10, c11, c12 = st.columns(4)
    head = c9.selectbox(
        "DNRE head", list(DNRE_HEADS), index=DNRE_HEADS.index(DEFAULTS.dnre_head), key="train_head",
        disabled=estimator != "DNRE",
        help="potential (default): d = g(θ, x) − g(θ′, x), consistent by construction; pairwise: the paper's "
             "d = MLP([θ, θ′, x]), whose quality varied strongly with the seed in our benchmarks.")
    partners = c11.number_input(
        "DNRE partners per simulation", 1, 16, DEFAULTS.dnre_partners, key="train_partners", disabled=estimator != "DNRE",
        help=f"K other parameters compared with each simulation's own in the loss (default {DEFAULTS.dnre_partners}; the "
             "paper's is 1). K = 4 costs about 2.2× per epoch and gave a lower held-out loss than K = 1 on most "
             "benchmark tasks; K = 1 trains faster.")
    schedule = c10.selectbox("Learning-rate schedule", list(LR_SCHEDULES), index=LR_SCHEDULES.index(DEFAULTS.lr_schedule),
                             key="train_schedule",
                             help="constant (default) or cosine: the rate falls to 0 over the max epochs.")
    averaging = c12.number_input(
        "Weight averaging (EMA decay)", 0.0, 0.9999, DEFAULTS.weight_averaging, step=0.01, format="%.4f",
        key="train_averaging",
        help="The model keeps an exponential moving average of its weights over training steps (decay per step; "
             "0 = the last step's weights). Averaging made DNRE and NRE markedly steadier across seeds in our benchmarks.")
    name = st.text_input("Model name", f"{estimator} on {dataset.name}", key="train_name")
    if st.button("Train", type="primary"):
        request = TrainingRequest(name.strip() or f"{estimator} on {dataset.name}", dataset.id, replace(
            DEFAULTS, method=estimator, hidden_features=int(hidden), num_layers=int(layers), mask_probability=float(mask),
            max_epochs=int(epochs), batch_size=int(batch), learning_rate=float(lr), seed=int(seed), dnre_head=head,
            dnre_partners=int(partners), lr_schedule=schedule, weight_averaging=float(averaging)))
        runner.submit("training", request.name, training_job(request, LOWER, UPPER), request.record())


def show_live() -> None:
    snap = runner.latest("training")
    if snap is None:
        return
    job_status(runner, snap)
    if snap.data.get("train_losses"):
        st.plotly_chart(plots.loss_curves({snap.name: (snap.data["train_losses"], snap.data["val_losses"])}, title=f"Loss of {snap.name}"))
        st.caption(AVERAGING_NOTE)


@st.fragment(run_every=1.0)
def live() -> None:
    show_live()
    snap = runner.latest("training")
    if snap is not None and snap.finished:
        st.rerun()


snap = runner.latest("training")
if snap is not None and not snap.finished:
    live()
else:
    show_live()

st.subheader("Compare models")
models = workspace.models()
if not models:
    st.info("No trained models in the workspace yet.")
else:
    st.dataframe(
        pd.DataFrame(
            [
                {"name": m.name, "estimator": m.kind, "network": f"{m.config.get('num_layers')}×{m.config.get('hidden_features')}",
                 "masking": m.config.get("mask_probability"), "epochs": m.metrics.get("epochs"), "best validation loss": m.metrics.get("best_val_loss"),
                 "seconds": m.metrics.get("seconds"), "stopped by": m.metrics.get("stopped_by"),
                 "temperature": m.metrics.get("temperature"),
                 **consistency_columns(m.metrics.get("consistency")), "id": m.id}
                for m in models
            ]
        ),
        hide_index=True,
    )
    picked = st.multiselect("Loss curves of", models, default=models[:2], format_func=lambda m: f"{m.name} ({m.id})", key="train_compare")
    if picked:
        st.plotly_chart(plots.loss_curves({f"{m.name} ({m.id})": (m.metrics["train_losses"], m.metrics["val_losses"]) for m in picked}, title="Loss curves of the chosen models"))
        st.caption(AVERAGING_NOTE)
        st.caption("Is each model's log-ratio a log-ratio? Antisymmetry and consistency on its validation pairs:")
        for m in picked:
            level, message = consistency_verdict(m.metrics.get("consistency"))
            getattr(st, level)(f"**{m.name}**: {message}")
