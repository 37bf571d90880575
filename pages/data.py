"""Data: simulate designs with the built-in simulator or import (θ, x) from a CSV; explore a data set."""

from dataclasses import asdict

import pandas as pd
import streamlit as st

from dnre_core import InputError
from dnre_core.simulators import load_simulator
from ui import plots, session
from ui.csv_import import CsvImportError, ImportOptions, UploadCache, default_mapping, ready_message, validate
from ui.domain import METRIC_NAMES, PARAMETER_NAMES, csv_schema, metric_labels, parameter_labels
from ui.jobs import JobSnapshot
from ui.models import dataset_simulator
from ui.simulation import BACKENDS, SimulationConfig, simulation_job
from ui.text import md
from ui.widgets import follow, run_picker

session.ensure_routed(__file__)

st.title("Data")
workspace, runner = session.workspace(), session.runner()
simulate_tab, import_tab, explore_tab = st.tabs(["Simulate", "Import a CSV", "Explore"])


def show_simulation(snap: JobSnapshot) -> None:
    if snap.status == "cancelled" and snap.result:
        st.info(f"{snap.result['simulated_before_stop']:,} simulated designs are kept; press **Simulate** with the "
                "same designs, seed and batch size to resume.", icon=":material/resume:")


with simulate_tab:
    st.markdown(
        "Draw designs uniformly within the design bounds (the prior) and simulate their seven metrics, in seeded "
        "batches: the same seed and batch size give the same data on any backend and any number of workers. A "
        "stopped simulation keeps its finished batches; start it again with the same settings to resume."
    )
    c1, c2, c3 = st.columns(3)
    for key in ("sim_name", "sim_num", "sim_seed", "sim_workers", "sim_batch"):
        session.remember(key)
    session.remember("sim_backend", BACKENDS)
    name = c1.text_input("Data set name", "simulated designs", key="sim_name")
    num = c2.number_input("Designs", 100, 500_000, 20_000, step=1000, key="sim_num")
    seed = c3.number_input("Seed", 0, 2**31 - 1, 0, key="sim_seed")
    c1, c2, c3 = st.columns(3)
    backend = c1.selectbox("Run on", list(BACKENDS), format_func=BACKENDS.get, key="sim_backend",
                           help="A pool of local processes, or the Ray cluster `ray.init()` connects to (a local one "
                                "is started when none is running).")
    workers = c2.number_input("Workers", 1, 256, 1, key="sim_workers",
                              help="Processes (local) or Ray tasks in flight at once.")
    batch = c3.number_input("Designs per batch", 10, 100_000, 1000, step=100, key="sim_batch")
    if st.button("Simulate", type="primary"):
        if not name.strip():
            st.error("Give the data set a name.")
        else:
            config = SimulationConfig(name.strip(), int(num), int(seed), backend, int(workers), int(batch))
            st.session_state["sim_run"] = runner.submit("simulation", f"simulate {int(num):,} designs",
                                                        simulation_job(config), asdict(config))
    run_id = run_picker("simulation", "sim_run", "Simulation runs")
    if run_id is not None:
        follow(run_id, show_simulation)

with import_tab:
    st.markdown(
        "One row per design: the 19 design parameters (mm) and the 7 metrics, with a header row. Extra columns are "
        "ignored; columns are matched by name, and you can map them below."
    )
    upload = st.file_uploader("CSV file", type=["csv"], key="csv_upload")
    if upload is not None:
        schema = csv_schema()
        cache = st.session_state.setdefault("csv_parsed", UploadCache())
        try:
            frame = cache.parse(upload.file_id, upload.getvalue)
        except CsvImportError as exc:
            st.error(f"Cannot read {md(upload.name)}: {md(exc)}")
            frame = None
        if frame is not None:
            st.caption(f"{md(upload.name)}: {frame.shape[0]:,} rows, {frame.shape[1]} columns.")
            guessed = default_mapping(list(frame.columns), schema)
            choices = ["(none)", *map(str, frame.columns)]
            with st.expander("Column mapping", expanded=any(v is None for v in guessed.values())):
                mapping = {}
                cols = st.columns(3)
                labels = parameter_labels() + metric_labels()
                for k, (field, label) in enumerate(zip(schema.columns, labels, strict=True)):
                    pick = cols[k % 3].selectbox(label, choices,
                                                 index=choices.index(guessed[field]) if guessed[field] else 0,
                                                 key=f"map_{field}")
                    mapping[field] = None if pick == "(none)" else pick
            options = ImportOptions(  # one per line: in three columns their labels were cut off
                exclude_unusable=st.checkbox("Exclude rows with non-numeric or missing cells", key="ex_unusable"),
                exclude_out_of_bounds=st.checkbox("Exclude rows with parameters outside the design bounds",
                                                  key="ex_oob"),
                exclude_failed=st.checkbox("Exclude failed designs (every flight metric 0)", key="ex_failed"),
            )
            try:
                result = validate(frame, schema, mapping, options)
            except CsvImportError as exc:
                st.error(md(exc))
                result = None
            if result is not None:
                report = result.report
                if report.ignored_columns:
                    st.info(f"Ignored column(s): {md(', '.join(report.ignored_columns))}.")
                if report.issues:
                    st.markdown("**What the check found** (CSV line numbers count the header as line 1):")
                    st.dataframe(report.table(), hide_index=True,
                                 column_config={"detail": st.column_config.TextColumn(width="large"),
                                                "column": st.column_config.TextColumn(width="medium")})
                for message in report.blocking:
                    st.error(md(message))
                for what, count in report.excluded.items():
                    st.warning(f"Excluded {count:,} {what}.")
                if report.ok:
                    st.success(ready_message(result))
                    dataset_name = st.text_input("Data set name", upload.name.removesuffix(".csv"), key="import_name")
                    simulator = st.text_input(
                        "Simulator of this data (optional)", key="import_simulator", placeholder="module:function",
                        help="The simulator that produced these rows, as module:function (quadcopter for the built-in "
                             "one). Inverse design then checks its designs with it; without one, designs are the "
                             "model's answer alone. Only name modules you trust: importing runs their code.")
                    if st.button("Import", type="primary"):
                        try:
                            named = load_simulator(simulator).name if simulator.strip() else None
                        except InputError as exc:
                            st.error(md(exc))
                        else:
                            record = workspace.add_dataset(
                                dataset_name, result.theta, result.x, list(PARAMETER_NAMES), list(METRIC_NAMES),
                                source=f"csv: {upload.name}",
                                meta={"excluded": report.excluded, "failed_rows": report.n_failed,
                                      "rows_in_file": report.n_rows, "simulator": named},
                            )
                            st.success(f"Imported {record.n_rows:,} rows as data set **{md(record.name)}** "
                                       f"({record.id}).")

with explore_tab:
    datasets = {d.id: d for d in workspace.datasets()}
    if not datasets:
        st.info("The workspace has no data sets yet: simulate some or import a CSV.")
    else:
        session.remember("explore_ds", datasets)
        chosen = datasets[st.selectbox("Data set", list(datasets), key="explore_ds",
                                       format_func=lambda i: f"{datasets[i].name} ({datasets[i].n_rows:,} rows, "
                                                             f"{datasets[i].source}, {i})")]
        simulator = dataset_simulator(chosen)
        st.caption(f"Simulator: {md(simulator)}." if simulator else "Simulator: none named, so inverse design with a "
                   "model trained on this data gives the model's answer alone, not checked by simulation.")
        data = workspace.load_dataset(chosen.id)
        frame = pd.DataFrame(data.x, columns=metric_labels(data.metric_names))
        st.markdown("**Summary statistics of the metrics**")
        st.dataframe(frame.describe().T)
        st.plotly_chart(plots.histograms(data.x, metric_labels(data.metric_names), title=f"Metrics of {chosen.name}"))
        all_columns = list(data.parameter_names) + list(data.metric_names)
        all_labels = dict(zip(all_columns, parameter_labels(data.parameter_names) + metric_labels(data.metric_names),
                              strict=True))
        session.remember("pair_cols", all_columns)
        picked = st.multiselect("Pair plot of", all_columns, default=["Arm_2159_Length", "mass", "Max_Hover_Time_(s)"],
                                format_func=all_labels.get, max_selections=6, key="pair_cols")
        if len(picked) >= 2:
            values = pd.DataFrame(data.theta, columns=data.parameter_names).join(
                pd.DataFrame(data.x, columns=data.metric_names))
            st.plotly_chart(plots.pair_plot(values[picked].to_numpy(), [all_labels[c] for c in picked],
                                            title=f"Pair plot of {chosen.name}"))
        else:
            st.info("Choose at least two columns for the pair plot.")
