"""Intervals and the one verdict rule behind every comparison."""
import numpy as np
import pytest

from choreo_utils import stats


def test_mean_interval_matches_the_t_interval():
    from scipy import stats as sst

    x = np.array([0.70, 0.74, 0.68, 0.77, 0.72])
    iv = stats.mean_interval(x)
    lo, hi = sst.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=sst.sem(x))
    assert iv.mean == pytest.approx(x.mean()) and iv.low == pytest.approx(lo) and iv.high == pytest.approx(hi)
    assert iv.n_seeds == 5 and iv.n_units == 0
    one = stats.mean_interval([0.5])
    assert one.low == one.high == 0.5


def test_paired_difference_removes_what_the_seeds_share():
    a = np.array([0.70, 0.80, 0.60, 0.75, 0.65])
    b = a - 0.05 + np.array([0.01, -0.01, 0.0, 0.01, -0.01])   # always ~5 points lower, whatever the seed
    paired = stats.paired_difference(a, b)
    assert paired.low > 0.03 and paired.high < 0.07
    unpaired_width = stats.mean_interval(a).half_width + stats.mean_interval(b).half_width
    assert paired.half_width < unpaired_width / 5
    with pytest.raises(ValueError, match="same seeds"):
        stats.paired_difference(a, b[:3])


def test_paired_bootstrap_covers_both_seed_and_unit_noise():
    rng = np.random.default_rng(0)
    p_unit = rng.uniform(0.3, 0.9, 80)                          # video difficulty
    a = (rng.random((5, 80)) < p_unit + 0.15).astype(float)
    b = (rng.random((5, 80)) < p_unit).astype(float)
    iv = stats.paired_bootstrap(a, b)
    assert iv.n_seeds == 5 and iv.n_units == 80
    assert iv.low < iv.mean < iv.high and iv.low > 0             # a real 15-point gain is found
    same = stats.paired_bootstrap(b, (rng.random((5, 80)) < p_unit).astype(float))
    assert same.low < 0 < same.high                               # two draws of one model: no difference
    assert stats.paired_bootstrap(a, b) == iv                     # repeatable
    with pytest.raises(ValueError, match="same seeds and units"):
        stats.paired_bootstrap(a, b[:, :10])
    with pytest.raises(ValueError, match="NaN"):
        stats.paired_bootstrap(np.full((2, 3), np.nan))


@pytest.mark.parametrize("low, high, expected", [(0.02, 0.08, "helps by 5.0 points (95% CI 2.0 to 8.0"),
                                                  (-0.08, -0.02, "hurts by 5.0 points (95% CI 2.0 to 8.0"),
                                                  (-0.01, 0.11, "makes no measurable difference (+5.0 points, 95% CI")])
def test_verdict_comes_from_the_interval_alone(low, high, expected):
    iv = stats.Interval((low + high) / 2, low, high, n_seeds=5, n_units=79)
    text = stats.verdict(iv)
    assert text.startswith(expected) and "5 seeds × 79 units" in text
    assert stats.sign(iv) == (1 if low > 0 else -1 if high < 0 else 0)
    assert "95% CI" in iv.format()


def test_an_interval_without_spread_gets_no_verdict():
    # two tuner seeds that each beat the other tuner by one of 74 validation clips: the t-interval has no width
    import numpy as np

    a = np.float32([40, 44]) / 74                                           # float32 scores, as Keras reports
    same = stats.paired_difference(a, a - np.float32(1 / 74))
    assert same.low == pytest.approx(same.high) and same.mean == pytest.approx(1 / 74)
    assert stats.no_spread(same) and stats.sign(same) == 0
    assert stats.verdict(same).startswith("cannot be called (+1.4 points in every one of 2 seeds")
    one = stats.mean_interval([0.03])                                      # a single seed: no interval either
    assert stats.sign(one) == 0 and "cannot be called" in stats.verdict(one) and "1 seed:" in stats.verdict(one)
    tied = stats.paired_difference([0.5, 0.6], [0.5, 0.6])                 # no difference at all: that is a result
    assert not stats.no_spread(tied) and stats.verdict(tied).startswith("makes no measurable difference (+0.0")
    spread = stats.paired_difference([0.5, 0.6, 0.7], [0.48, 0.57, 0.675])
    assert not stats.no_spread(spread) and stats.sign(spread) == 1


def test_say_wraps_long_verdicts(capsys):
    iv = stats.Interval(0.05, -0.01, 0.11, n_seeds=5, n_units=79)
    stats.say("A long comparison line: BiLSTM vs the best order-blind baseline " + stats.verdict(iv))
    out = capsys.readouterr().out.splitlines()
    assert len(out) > 1 and all(len(line) <= 100 for line in out) and out[1].startswith("    ")


def _scores(rng, p, n_seeds):
    return (rng.random((n_seeds, p.size)) < p).astype(float)


def test_one_seed_never_decides_a_verdict():
    # a clear 12-point gain over 5 seeds × 79 videos; then one training of the better model collapses
    rng = np.random.default_rng(1)
    p = rng.uniform(0.80, 0.98, 79)
    good, base = _scores(rng, p, 5), _scores(rng, p - 0.12, 5)
    healthy = stats.paired_bootstrap(good, base)
    assert stats.verdict(healthy).startswith("helps by") and healthy.leave_one_out == (1, 1, 1, 1, 1)
    collapsed = good.copy()
    collapsed[3] = rng.random(79) < 0.2                         # seed 3 scores ~20%: the interval widens across 0
    iv = stats.paired_bootstrap(collapsed, base)
    assert iv.low < 0 < iv.high                                  # the plain interval alone would say "no difference"
    assert stats.one_seed_decides(iv) and stats.sign(iv) == 0
    text = stats.verdict(iv)
    assert text.startswith("cannot be called: one seed decides (") and "this would say 'helps'" in text
    assert "run more seeds" in text and "5 seeds × 79 units" in text
    # the cure is more seeds, not dropping one: with 20 seeds the same collapse no longer decides anything
    many_good, many_base = _scores(rng, p, 20), _scores(rng, p - 0.12, 20)
    many_good[3] = rng.random(79) < 0.2
    many = stats.paired_bootstrap(many_good, many_base)
    assert not stats.one_seed_decides(many) and stats.verdict(many).startswith("helps by")


def test_leave_one_out_needs_three_seeds_and_covers_t_intervals():
    assert stats.mean_interval([0.1, 0.12]).leave_one_out == ()
    assert stats.paired_bootstrap(np.ones((2, 5)), np.zeros((2, 5))).leave_one_out == ()
    steady = stats.paired_difference([0.60, 0.62, 0.61, 0.63, 0.60], [0.50, 0.51, 0.52, 0.50, 0.52])
    assert steady.leave_one_out == (1,) * 5 and stats.sign(steady) == 1
    outlier = stats.paired_difference([0.60, 0.62, 0.61, 0.63, 0.10], [0.50, 0.51, 0.52, 0.50, 0.52])
    assert stats.one_seed_decides(outlier) and stats.sign(outlier) == 0
    assert "cannot be called: one seed decides" in stats.verdict(outlier, "Hyperband ahead", "random ahead")
    assert "'Hyperband ahead'" in stats.verdict(outlier, "Hyperband ahead", "random ahead")
    # an ordinary spread, no outlier: leaving a seed out may narrow the interval, but the verdict stands
    plain = stats.paired_difference([0.62, 0.55, 0.66, 0.50, 0.58], [0.55, 0.57, 0.55, 0.56, 0.54])
    assert stats.outlying_seeds(plain.per_seed) == [] and not stats.one_seed_decides(plain)
    assert stats.verdict(plain).startswith("makes no measurable difference")
    assert stats.outlying_seeds([0.1, 0.11, 0.09, 0.1, -0.5]) == [4]
    assert stats.outlying_seeds([1.0, 1.0, 1.0, 1.0, 0.3]) == [4]           # MAD 0: mean absolute deviation
    # three seeds are too few to call one an outlier (the MAD is set by the two closest): the plain verdict stands
    three = stats.paired_difference([0.95, -0.21, 0.97], [0.0, 0.0, 0.0])
    assert three.leave_one_out and not stats.one_seed_decides(three)
    assert stats.verdict(three).startswith("makes no measurable difference")
    import json

    assert json.loads(json.dumps(outlier.as_dict()))["leave_one_out"] == list(outlier.leave_one_out)


def test_verdict_class_names_what_the_verdict_says():
    classes = {stats.verdict_class(stats.Interval(0.05, lo, hi, 5, 79)) for lo, hi in ((0.02, 0.08), (-0.08, -0.02),
                                                                                       (-0.01, 0.11))}
    assert classes == {"above zero", "below zero", "no measurable difference"}
    assert stats.verdict_class(stats.mean_interval([0.03])) == "cannot be called: no spread"
    outlier = stats.paired_difference([0.60, 0.62, 0.61, 0.63, 0.10], [0.50, 0.51, 0.52, 0.50, 0.52])
    assert stats.verdict_class(outlier) == "cannot be called: one seed decides"
    assert set(stats.VERDICT_CLASSES) >= classes
