"""bench/mh_mixing.py: the narrow-component share of a density by importance sampling, and the summary table."""

import importlib.util
import math
from pathlib import Path
from typing import Any

import torch

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("mh_mixing", ROOT / "bench" / "mh_mixing.py")
mh_mixing = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mh_mixing)


class _Mixture:
    """A posterior stub: the normalised density of w·N(c, 0.01 I) + (1 − w)·N(c, I) in 2-D."""

    def __init__(self, weight: float, centre: torch.Tensor):
        self.weight, self.centre = weight, centre

    def log_prob(self, theta: torch.Tensor, x: torch.Tensor, num_reference: int) -> torch.Tensor:
        parts = [math.log(w) + torch.distributions.Normal(self.centre, s).log_prob(theta).sum(1)
                 for w, s in ((self.weight, 0.1), (1 - self.weight, 1.0))]
        return torch.logsumexp(torch.stack(parts), 0)


def test_the_learned_share_recovers_a_known_mixture_weight() -> None:
    # Within 0.3 of the centre: 1 − exp(−0.3²/(2·0.1²)) = 0.9889 of the narrow part, 1 − exp(−0.045) = 0.0440
    # of the broad one. With weight 0.3 the share is 0.3275; IS with 20,000 draws has s.e. below 0.005 here.
    x_o = torch.tensor([1.0, -2.0])
    share = mh_mixing.learned_narrow_share(_Mixture(0.3, x_o), x_o, torch.Generator().manual_seed(0))
    assert abs(share - (0.3 * 0.9889 + 0.7 * 0.0440)) < 0.02
    # A density centred elsewhere puts (almost) nothing near x_o.
    far = mh_mixing.learned_narrow_share(_Mixture(0.5, x_o + 5.0), x_o, torch.Generator().manual_seed(0))
    assert far < 0.01


def _record(seed: int, obs: int, learned: float, reference: float, shares: list[float]) -> dict[str, Any]:
    samplers = {mh_mixing.sampler_label(*sampler): {"c2st": 0.5 + s / 10, "narrow_share": s, "acceptance": 0.3}
                for sampler, s in zip(mh_mixing.SAMPLERS, shares, strict=True)}
    return {"seed": seed, "observation": obs, "learned_narrow_share": learned, "reference_narrow_share": reference,
            "samplers": samplers, "mh_200_vs_3000_c2st": 0.52}


def test_the_summary_gives_per_seed_means_and_the_largest_learned_reference_gap() -> None:
    records = [_record(0, 1, 0.50, 0.52, [0.30, 0.40, 0.45, 0.54, 0.50]),
               _record(0, 2, 0.56, 0.55, [0.40, 0.42, 0.47, 0.50, 0.52]), _record(1, 1, 0.60, 0.61, [0.5] * 5)]
    text = mh_mixing.summary_markdown(records)
    assert "| 0 | 0.530 | 0.535 | 0.350 share / 0.535 C2ST | 0.410 share / 0.541 C2ST | 0.460 share / 0.546 C2ST " \
           "| 0.520 share / 0.552 C2ST | 0.510 share / 0.551 C2ST | 0.520 |" in text
    assert "| mh 200 | mh 1000 | mh 3000 | mh 200 spread 2 | hmc 200 |" in text
    assert "| 1 | 0.600 | 0.610 |" in text
    assert "at one observation: 0.020." in text
