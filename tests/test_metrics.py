"""Metrics on hand-computed cases."""
from __future__ import annotations

import math

import pytest

from leancode.metrics import (bleu_tokens, corpus_bleu, mrr, nist_tokens, rank_of_gold, sentence_bleu,
                              split_marks)


def test_identical_sentence_is_100():
    s = "Returns the number of items in this list."
    assert sentence_bleu(s, s) == pytest.approx(1.0)
    assert corpus_bleu([s], [s]) == pytest.approx(100.0)


def test_identical_single_word_is_100():
    # higher orders have 0 guesses: with add-one smoothing each term is 1/1
    assert sentence_bleu("close", "close") == pytest.approx(1.0)


def test_empty_hypothesis_keeps_only_the_brevity_penalty():
    # 3 reference tokens, no hypothesis: every precision term is 0/0 -> 1, penalty 1 - 4/1 = -3
    assert sentence_bleu("a b c", "") == pytest.approx(math.exp(-3))
    assert sentence_bleu("", "") == pytest.approx(1.0)


def test_prefix_hypothesis_brevity_penalty():
    # precisions 3/3, 2/2 (+1 smoothing: 3/3), 1/1 -> 2/2, 0/0 -> 1/1; penalty 1 - 7/4
    assert sentence_bleu("the cat sat on the mat", "the cat sat") == pytest.approx(math.exp(-0.75))


def test_reordered_hypothesis():
    # unigrams 5/5; bigrams 1 of 4 -> 2/5; trigrams 0 of 3 -> 1/4; 4-grams 0 of 2 -> 1/3; no penalty
    got = sentence_bleu("returns the number of items", "returns number of the items")
    assert got == pytest.approx((1.0 * 0.4 * 0.25 / 3) ** 0.25)


def test_clipped_counts():
    # unigrams clipped to 1 of 3; bigrams 0 of 2 -> 1/3; trigrams 0 of 1 -> 1/2; 4-grams 0/0 -> 1
    got = sentence_bleu("the cat", "the the the")
    assert got == pytest.approx((1 / 3 * 1 / 3 * 1 / 2) ** 0.25)


def test_no_unigram_overlap_is_zero():
    assert sentence_bleu("a b", "c d") < 1e-50


def test_case_and_punctuation_are_normalised():
    assert sentence_bleu("Get the VALUE.", "get the value .") == pytest.approx(1.0)
    assert split_marks("Get_value(x).") == "get_value ( x ) ."
    # the NIST step splits the underscore (it is in the always-split punctuation set)
    assert bleu_tokens("Get_value(x).") == ["get", "_", "value", "(", "x", ")", "."]


def test_nist_digit_rules():
    assert nist_tokens("pi is 3.14, roughly.") == ["pi", "is", "3.14", ",", "roughly", "."]
    assert nist_tokens("a&amp;b") == ["a", "&", "b"]
    assert nist_tokens("range 1-2") == ["range", "1", "-", "2"]
    assert nist_tokens("it's well-known") == ["it's", "well-known"]


def test_corpus_bleu_is_mean_times_100():
    refs = ["the cat sat on the mat", "a b c"]
    hyps = ["the cat sat", ""]
    assert corpus_bleu(refs, hyps) == pytest.approx(100 * (math.exp(-0.75) + math.exp(-3)) / 2)
    assert corpus_bleu([], []) == 0.0
    with pytest.raises(ValueError):
        corpus_bleu(["a"], [])


def test_rank_of_gold_ties_count_against():
    assert rank_of_gold([0.9, 0.1, 0.5], 0) == 1
    assert rank_of_gold([0.9, 0.1, 0.5], 2) == 2
    assert rank_of_gold([0.5, 0.5, 0.5], 0) == 3
    assert rank_of_gold([0.2, 0.7, 0.7, 0.1], 1) == 3 - 1  # itself and the other 0.7
    assert rank_of_gold([float("nan"), 0.3], 0) == 2
    assert rank_of_gold([0.3, float("nan")], 0) == 1
    with pytest.raises(IndexError):
        rank_of_gold([0.1], 1)


def test_mrr():
    assert mrr([1, 2, 4]) == pytest.approx((1 + 0.5 + 0.25) / 3)
    assert mrr([]) == 0.0
    with pytest.raises(ValueError):
        mrr([0])
