"""Regenerate the demand traces in data/traces/ (run from anywhere: python data/make_traces.py).

Every file written here comes from a seeded generator in vmlab.demand, so the output is identical on every
machine. Values are rounded to 0.1 requests/s to keep the files small; tests check that the
files still match the generators (tests/test_demand.py). The real WorldCup98 trace in
data/traces/ is not generated here: it is copied as received (see data/README.md).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vmlab import demand

OUT = Path(__file__).resolve().parent / "traces"

# file name -> (generator, seed); all two days at one-minute steps
TRACES = {
    "diurnal_2d.csv": (demand.diurnal, 1),
    "flash_sale_2d.csv": (demand.flash_sale, 1),
    "streaming_spike_2d.csv": (demand.streaming_spike, 1),
    "dev_test_2d.csv": (demand.dev_test, 1),
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, (generator, seed) in TRACES.items():
        trace = generator(days=2, seed=seed)
        frame = trace.rename(columns={"demand": "requests_per_s"}).round(1)
        frame.to_csv(OUT / name, index_label="time", date_format="%Y-%m-%d %H:%M")
        print(f"wrote {OUT / name} ({len(frame)} rows)")
    # A web-server access log aggregated per minute: Poisson hit counts around diurnal traffic
    # (the shape of per-minute counts in public logs such as NASA-HTTP 1995 or WorldCup98).
    rng = np.random.default_rng(5)
    rate = demand.diurnal(days=2, seed=5, peak_rps=40.0, trough_rps=4.0, noise=0.1)
    hits = rng.poisson(rate["demand"].to_numpy() * 60.0)
    log = rate.assign(hits=hits)[["hits"]]
    log.to_csv(OUT / "web_log_per_minute.csv", index_label="minute", date_format="%Y-%m-%d %H:%M")
    print(f"wrote {OUT / 'web_log_per_minute.csv'} ({len(log)} rows)")


if __name__ == "__main__":
    main()
