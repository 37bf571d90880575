"""Train: fit DNRE / NRE / BNRE on a data set in the background, watch the loss live, compare models, and check
whether a model can be trusted (expected coverage on held-out simulations)."""

from dataclasses import replace

import pandas as pd
import streamlit as st

from dnre_core.estimators import DNRE_HEADS
from dnre_core.training import LR_SCHEDULES
from ui import plots, session
from ui.coverage import CoverageConfig, coverage_job
from ui.domain import LOWER, UPPER
from ui.jobs import JobSnapshot
from ui.model_checks import consistency_columns, consistency_verdict
from ui.models import BUILT_IN_SIMULATOR, all_models, dataset_simulator
from ui.simulation import quadcopter_simulator
from ui.text import md
from ui.training_job import DASHBOARD_DEFAULTS as DEFAULTS
from ui.training_job import METHODS, TrainingRequest, training_job
from ui.widgets import follow, run_picker, show_coverage, suggested_text

session.ensure_routed(__file__)

AVERAGING_NOTE = ("Validation losses are those of the averaged weights (the weights the model keeps); with weight "
                  "averaging on they can trail the training loss slightly, since the average spans up to about 100 "
                  "optimiser steps.")

st.title("Train")
workspace, runner = session.workspace(), session.runner()
datasets = {d.id: d for d in workspace.datasets()}
if not datasets:
    st.error("The workspace has no data set to train on: simulate or import one on the **Data** page first.")
else:
    session.remember("train_ds", datasets)
    session.remember("train_est", METHODS)
    session.remember("train_head", DNRE_HEADS)
    session.remember("train_schedule", LR_SCHEDULES)
    for key in ("train_hidden", "train_layers", "train_mask", "train_epochs", "train_lr", "train_batch", "train_seed",
                "train_partners", "train_averaging"):
        session.remember(key)
    dataset = datasets[st.selectbox("Data set", list(datasets), key="train_ds",
                                    format_func=lambda i: f"{datasets[i].name} ({datasets[i].n_rows:,} rows, {i})")]
    c1, c2, c3, c4 = st.columns(4)
    estimator = c1.selectbox("Estimator", list(METHODS), index=METHODS.index(DEFAULTS.method), key="train_est",
                             help="DNRE: direct ratio d(θ, θ′, x); NRE / BNRE: classifier baselines.")
    hidden = c2.number_input("Hidden units per layer", 8, 1024, DEFAULTS.hidden_features, step=8, key="train_hidden")
    layers = c3.number_input("Hidden layers", 1, 10, DEFAULTS.num_layers, key="train_layers")
    mask = c4.number_input("Metric masking probability", 0.0, 0.9, DEFAULTS.mask_probability, step=0.05,
                           key="train_mask",
                           help="> 0 lets the model condition on any subset of metrics (free metrics in the target).")
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
        "DNRE partners per simulation", 1, 16, DEFAULTS.dnre_partners, key="train_partners",
        disabled=estimator != "DNRE",
        help=f"K other parameters compared with each simulation's own in the loss (default {DEFAULTS.dnre_partners}; "
             "the paper's is 1). More partners cost more per epoch and gave a lower held-out loss on most benchmark "
             "tasks (BENCHMARKS.md); K = 1 trains fastest.")
    schedule = c10.selectbox("Learning-rate schedule", list(LR_SCHEDULES),
                             index=LR_SCHEDULES.index(DEFAULTS.lr_schedule), key="train_schedule",
                             help="constant (default) or cosine: the rate falls to 0 over the max epochs.")
    averaging = c12.number_input(
        "Weight averaging (EMA decay)", 0.0, 0.9999, DEFAULTS.weight_averaging, step=0.01, format="%.4f",
        key="train_averaging",
        help="The model keeps an exponential moving average of its weights over training steps (decay per step; "
             "0 = the last step's weights). Averaging made DNRE and NRE markedly steadier across seeds in our "
             "benchmarks.")
    suggested_text("train_name", f"{estimator} on {dataset.name}")  # follows the data set until the user types one
    name = st.text_input("Model name", key="train_name")
    if st.button("Train", type="primary"):
        request = TrainingRequest(name.strip() or f"{estimator} on {dataset.name}", dataset.id, replace(
            DEFAULTS, method=estimator, hidden_features=int(hidden), num_layers=int(layers),
            mask_probability=float(mask), max_epochs=int(epochs), batch_size=int(batch), learning_rate=float(lr),
            seed=int(seed), dnre_head=head, dnre_partners=int(partners), lr_schedule=schedule,
            weight_averaging=float(averaging)))
        st.session_state["train_run"] = runner.submit("training", request.name, training_job(request, LOWER, UPPER),
                                                      request.record())


def show_losses(snap: JobSnapshot) -> None:
    if snap.data.get("train_losses"):
        st.plotly_chart(plots.loss_curves({snap.name: (snap.data["train_losses"], snap.data["val_losses"])},
                                          title=f"Loss of {snap.name}"))
        st.caption(AVERAGING_NOTE)


run_id = run_picker("training", "train_run", "Training runs")
if run_id is not None:
    follow(run_id, show_losses)

st.subheader("Compare models")
models = {m.id: m for m in all_models(workspace)}
if not models:
    st.info("No models yet: the shipped default model is missing and the workspace has none.")
else:
    table = pd.DataFrame(
        [
            {"name": m.name, "estimator": m.kind,
             "network": f"{m.config.get('num_layers')}×{m.config.get('hidden_features')}",
             "masking": m.config.get("mask_probability"), "epochs": m.metrics.get("epochs"),
             "best val. loss": m.metrics.get("best_val_loss"), "seconds": m.metrics.get("seconds"),
             "stopped by": m.metrics.get("stopped_by"), "temperature": m.metrics.get("temperature"),
             **consistency_columns(m.metrics.get("consistency"))}
            for m in models.values()
        ]
    )
    st.dataframe(  # columns no model has a value for are left out, so that the rest fit without scrolling
        table.dropna(axis=1, how="all"), hide_index=True,
        column_config={"name": st.column_config.TextColumn(width="medium"),
                       "best val. loss": st.column_config.NumberColumn(format="%.4f"),
                       "seconds": st.column_config.NumberColumn(format="%.0f"),
                       "antisymmetry error (rel.)": st.column_config.NumberColumn("antisym. error", format="%.2g"),
                       "consistency error (rel.)": st.column_config.NumberColumn("consist. error", format="%.2g")},
    )
    session.remember("train_compare", models)
    picked = st.multiselect("Loss curves of", list(models), default=list(models)[:2], key="train_compare",
                            format_func=lambda i: f"{models[i].name} ({i})")
    with_losses = [models[i] for i in picked if models[i].metrics.get("train_losses")]
    if with_losses:
        curves = {f"{m.name} ({m.id})": (m.metrics["train_losses"], m.metrics["val_losses"]) for m in with_losses}
        st.plotly_chart(plots.loss_curves(curves, title="Loss curves of the chosen models"))
        st.caption(AVERAGING_NOTE)
    if len(with_losses) < len(picked):
        st.caption("No loss history is stored with the shipped default model; its card gives its epochs and best "
                   "validation loss (table above).")
    if picked:
        st.caption("Is each model's log-ratio a log-ratio? Antisymmetry and consistency on its validation pairs:")
    for i in picked:
        level, message = consistency_verdict(models[i].metrics.get("consistency"))
        getattr(st, level)(f"**{md(models[i].name)}**: {message}")

    st.subheader("Can I trust this model?")
    st.caption("Expected coverage on held-out simulations: designs drawn from the prior and simulated afresh with the "
               "built-in simulator (never seen in training). For each, the model's posterior is asked how credible the "
               "true design is; a calibrated model's α-credible regions hold the truth for a fraction α of them.")
    session.remember("trust_model", models)
    trusted = models[st.selectbox("Model to check", list(models), key="trust_model",
                                  format_func=lambda i: f"{models[i].name} ({i})")]
    simulator = dataset_simulator(datasets[trusted.dataset_id]) if trusted.dataset_id in datasets else None
    if trusted.dataset_id in datasets and simulator != BUILT_IN_SIMULATOR:
        st.info(f"This model learned data from {md(datasets[trusted.dataset_id].source)} (simulator: "
                f"{md(simulator or 'not named')}); the check simulates with the built-in simulator, so it applies only "
                "if that is the simulator behind the data.")
    if st.button("Check it on held-out simulations", key="trust_run_button"):
        config = CoverageConfig(model_id=trusted.id, model_path=str(trusted.path))
        st.session_state["trust_run"] = runner.submit("coverage", f"coverage of {trusted.name}",
                                                      coverage_job(config, quadcopter_simulator),
                                                      {"model_id": trusted.id})
    checks = [r.id for r in workspace.runs("coverage")
              if r.params.get("model_id") == trusted.id and not r.params.get("near_target")]
    if st.session_state.get("trust_run") not in checks:
        st.session_state.pop("trust_run", None)
    if not checks:
        st.info("Not checked yet: press **Check it on held-out simulations** (100 fresh simulations).")
    else:
        st.session_state.setdefault("trust_run", checks[0])
        follow(st.session_state["trust_run"], lambda snap: show_coverage(snap, f"Expected coverage of {trusted.name}"))
