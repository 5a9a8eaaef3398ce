"""check_seed: the root seed's bounds, 0 and MAX_SEED included."""

from __future__ import annotations

import pytest

from orgsim.errors import ExperimentError
from orgsim.experiments.runner import check_seed
from orgsim.scenario.schema import MAX_SEED


@pytest.mark.parametrize("seed", [0, 1, MAX_SEED])
def test_a_seed_from_zero_to_max_seed_is_kept(seed: int) -> None:
    assert check_seed(seed) == seed


@pytest.mark.parametrize(
    ("seed", "shown"), [(-1, "-1"), (MAX_SEED + 1, str(MAX_SEED + 1)), (True, "True")]
)
def test_a_seed_outside_the_bounds_is_refused(seed: object, shown: str) -> None:
    with pytest.raises(ExperimentError) as info:
        check_seed(seed)
    assert str(info.value) == f"--seed must be an integer from 0 to {MAX_SEED}, got {shown}"
