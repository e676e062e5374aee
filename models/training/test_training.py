"""Unit tests of the training pipeline: `python3 -m unittest discover -s models/training`."""
import glob
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "experiments"))

import text as T  # noqa: E402
from model import CRF, reverse_padded, viterbi  # noqa: E402
import ablation  # noqa: E402
import gpu_sweep  # noqa: E402
from pipeline import DATA, add_extra, extra_run_name, load_yidu, pretrain_name, split  # noqa: E402
from settings import DEFAULTS, FIRST_DATA, SMOKE, SettingsError, load_config, parse_set, resolve  # noqa: E402


class WindowTest(unittest.TestCase):
    def test_never_cuts_inside_an_entity_of_the_corpus(self):
        records = load_yidu(DATA)
        for r in records:
            spans = [(s, e) for s, e, _ in r["entities"]]
            bounds = T.window_bounds(r["text"], 256, spans)
            self.assertEqual(bounds[0][0], 0)
            self.assertEqual(bounds[-1][1], len(r["text"]))
            for (s, e), (s2, _) in zip(bounds, bounds[1:]):
                self.assertEqual(e, s2)
            for s, e in bounds:
                self.assertLessEqual(e - s, 256)
                for a, b in spans:
                    self.assertFalse(s < a < e < b or a < s < b, (a, b, s, e))

    def test_prefers_sentence_ends(self):
        text = "甲" * 100 + "。" + "乙" * 100 + "，" + "丙" * 100
        self.assertEqual(T.window_bounds(text, 256), [(0, 101), (101, 302)])

    def test_dev_split_is_fixed_and_disjoint(self):
        records = list(range(1000))
        train, dev, ids = split([{"i": i} for i in records], 100, 2019)
        self.assertEqual(len(dev), 100)
        self.assertEqual(len(train), 900)
        self.assertEqual(ids, split([{"i": i} for i in records], 100, 2019)[2])


class ExtraTrainTest(unittest.TestCase):
    def test_appends_curated_records_to_train_only(self):
        train, dev, _ = split([{"text": f"t{i}", "entities": []} for i in range(20)], 5, 2019)
        extra = [{"text": "curated", "entities": [(0, 2, "药物")]}, {"text": dev[0]["text"], "entities": []}]
        dev_before = [dict(r) for r in dev]
        grown, used, dropped = add_extra(train, dev, extra, repeat=3)
        self.assertEqual((used, dropped), (1, 1))
        self.assertEqual(len(grown), len(train) + 3)
        self.assertEqual(grown[-1]["text"], "curated")
        self.assertEqual(dev, dev_before, "the dev split is untouched")
        self.assertFalse({r["text"] for r in grown} & {r["text"] for r in dev}, "no dev text is trained on")

    def test_reads_a_curated_yidu_export(self):
        import tempfile
        with tempfile.NamedTemporaryFile("w", suffix=".yidu.jsonl", encoding="utf-8", delete=False) as f:
            f.write('{"originalText": "患者服用阿司匹林。", "entities": [{"label_type": "药物", "start_pos": 4, "end_pos": 8, "overlap": 0}]}\n')
        try:
            self.assertEqual(T.read_yidu(f.name), [{"text": "患者服用阿司匹林。", "entities": [(4, 8, "药物")]}])
            name = extra_run_name("bbrac", [f.name])
            self.assertRegex(name, r"^bbrac-extra-[0-9a-f]{8}$")
            self.assertEqual(name, extra_run_name("bbrac", [f.name]), "a rerun resumes the same run")
        finally:
            os.unlink(f.name)


class NormalizeTest(unittest.TestCase):
    def test_rules(self):
        self.assertEqual([T.normalize_char(c) for c in "ＣＴa\u3000\r𠀀"], ["c", "t", "a", T.SPACE, T.SPACE, "𠀀"])


class CrfTest(unittest.TestCase):
    def test_nll_and_viterbi_match_brute_force(self):
        torch.manual_seed(0)
        k, t = 3, 4
        crf = CRF(k)
        with torch.no_grad():
            for p in crf.parameters():
                p.normal_()
        em = torch.randn(1, t, k)
        mask = torch.ones(1, t, dtype=torch.long)

        def score(path):
            s = crf.start[path[0]] + em[0, 0, path[0]] + crf.end[path[-1]]
            for i in range(1, t):
                s = s + crf.trans[path[i - 1], path[i]] + em[0, i, path[i]]
            return s

        paths = list(itertools.product(range(k), repeat=t))
        scores = torch.stack([score(p) for p in paths])
        best = paths[int(scores.argmax())]
        self.assertEqual(viterbi(em[0], crf.trans, crf.start, crf.end), list(best))
        nll = crf.nll(em, torch.tensor([best]), mask)
        self.assertAlmostEqual(float(nll), float(torch.logsumexp(scores, 0) - scores.max()), places=4)

    def test_padding_changes_nothing(self):
        torch.manual_seed(1)
        crf = CRF(3)
        with torch.no_grad():
            for p in crf.parameters():
                p.normal_()
        em, tags = torch.randn(2, 5, 3), torch.randint(0, 3, (2, 5))
        mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
        both = crf.nll(em, tags, mask) * 2
        alone = crf.nll(em[:1], tags[:1], mask[:1]) + crf.nll(em[1:, :3], tags[1:, :3], mask[1:, :3])
        self.assertAlmostEqual(float(both), float(alone), places=4)
        self.assertEqual(crf.decode(em, mask)[1], viterbi(em[1, :3], crf.trans, crf.start, crf.end))

    def test_reverse_padded_is_an_involution_within_lengths(self):
        x = torch.arange(10.0).view(2, 5, 1)
        lengths = torch.tensor([5, 3])
        r = reverse_padded(x, lengths)
        self.assertEqual(r[1, :, 0].tolist(), [7.0, 6.0, 5.0, 8.0, 9.0])
        self.assertTrue(torch.equal(reverse_padded(r, lengths), x))


class TimeBoxTest(unittest.TestCase):
    def test_stop_time_from_the_environment(self):
        from loop import past_stop_time
        old = os.environ.pop("MEDNER_STOP_AT", None)
        try:
            self.assertFalse(past_stop_time())
            os.environ["MEDNER_STOP_AT"] = str(time.time() + 3600)
            self.assertFalse(past_stop_time())
            os.environ["MEDNER_STOP_AT"] = str(time.time() - 1)
            self.assertTrue(past_stop_time())
        finally:
            os.environ.pop("MEDNER_STOP_AT", None)
            if old is not None:
                os.environ["MEDNER_STOP_AT"] = old

    def test_pretraining_cuts_its_epochs_to_the_time_budget(self):
        import pretrain
        texts = ["患者于2019年3月行腹腔镜下胆囊切除术，术后予头孢曲松抗感染。" * 3] * 40
        vocab = T.build_vocab(texts, 1)
        cfg = dict(DEFAULTS, **SMOKE, lexicon=[])
        cfg.update(wwm=False, pretrain_epochs=1000, pretrain_seconds=1e-3, log_steps=10 ** 6, ckpt_steps=10 ** 6,
                   device="cpu")
        with tempfile.TemporaryDirectory() as d:
            out, epochs = pretrain.run(cfg, texts, vocab, d, lambda msg: None)
            self.assertTrue(os.path.exists(out))
            self.assertEqual(epochs, 1)  # measured after 100 steps: nothing more fits
            self.assertEqual(cfg["pretrain_epochs"], 1000, "the stage returns the cut; the settings stay as given")
            self.assertEqual(torch.load(out, weights_only=False)["cfg"]["pretrain_epochs"], 1)
            # A rerun resumes with the cut schedule, not the 1,000 epochs asked for.
            self.assertEqual(pretrain.run(cfg, texts, vocab, d, lambda msg: None)[1], 1)


class SoupTest(unittest.TestCase):
    def test_average_and_greedy_choice(self):
        import soup
        runs = [{"model": {"w": torch.tensor([float(v)])}, "dev": {"micro": {"f1": f1}}}
                for v, f1 in ((1, 0.80), (3, 0.79), (100, 0.78))]
        self.assertEqual(float(soup.average([r["model"] for r in runs[:2]])["w"]), 2.0)
        # A soup scores well while its weight stays small: the third run would spoil it.
        score = lambda state: {"micro": {"f1": 1 - float(state["w"]) / 100}}  # noqa: E731
        kept, best = soup.greedy_soup(runs, score, log=lambda msg: None)
        self.assertEqual(kept, [0])
        self.assertAlmostEqual(best["micro"]["f1"], 0.99)
        runs[1]["model"]["w"] = torch.tensor([0.0])
        kept, _ = soup.greedy_soup(runs, score, log=lambda msg: None)
        self.assertEqual(kept, [0, 1])


class DistillTest(unittest.TestCase):
    def tiny(self, seed):
        from finetune import build_tagger
        torch.manual_seed(seed)
        cfg = dict(DEFAULTS, **SMOKE, lexicon=[])
        cfg.update(device="cpu", pretrained=None, epochs=1, max_steps=2)
        return cfg, build_tagger(cfg, 40).eval()

    def test_an_ensemble_averages_emissions_and_crf_and_decodes_like_its_member(self):
        from model import Ensemble
        _, a = self.tiny(1)
        _, b = self.tiny(2)
        ids, mask = torch.randint(1, 40, (3, 9)), torch.ones(3, 9, dtype=torch.long)
        mask[1, 5:] = 0
        with torch.no_grad():
            pair = Ensemble([a, b])
            self.assertTrue(torch.allclose(pair.emissions(ids, mask), (a.emissions(ids, mask) + b.emissions(ids, mask)) / 2))
            self.assertTrue(torch.allclose(pair.crf.trans, (a.crf.trans + b.crf.trans) / 2))
            self.assertEqual(Ensemble([a]).predict(ids, mask), a.predict(ids, mask))

    def test_distillation_loss_is_zero_only_at_the_teachers_distribution(self):
        from finetune import distill_loss
        em = torch.randn(2, 5, 13)
        mask = torch.ones(2, 5, dtype=torch.long)
        mask[0, 3:] = 0
        soft = torch.softmax(em / 2, -1)
        self.assertAlmostEqual(float(distill_loss(em, soft, mask, 2.0)), 0.0, places=5)
        self.assertGreater(float(distill_loss(torch.randn(2, 5, 13), soft, mask, 2.0)), 0.01)
        # Padding does not count.
        noisy = em.clone()
        noisy[0, 3:] = 100
        self.assertAlmostEqual(float(distill_loss(noisy, soft, mask, 2.0)), 0.0, places=5)

    def test_fine_tuning_with_teachers_trains_and_keeps_their_vocabulary(self):
        import finetune
        cfg, _ = self.tiny(3)
        text = "患者于2019年3月行腹腔镜下胆囊切除术，术后予头孢曲松抗感染。"
        vocab = T.build_vocab([text], 1)
        cfg["max_len"] = 64
        teacher = finetune.build_tagger(cfg, len(vocab))
        records = [{"text": text, "entities": [(10, 19, "手术"), (23, 27, "药物")]}] * 4
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "teacher.pt")
            torch.save({"model": teacher.state_dict(), "cfg": cfg, "vocab": vocab}, path)
            best = finetune.run(cfg, records, records[:1], vocab, d, lambda msg: None, teachers=[path])
            self.assertTrue(os.path.exists(best))
            # The checkpoint records what it learnt from; the settings handed in stay as they were.
            self.assertEqual(torch.load(best, weights_only=False)["cfg"]["teachers"], [path])
            self.assertEqual(cfg["teachers"], [])
            with self.assertRaisesRegex(ValueError, "another vocabulary"):
                finetune.load_tagger(path, vocab + ["新"])


class PseudoLabelTest(unittest.TestCase):
    def test_labels_round_trip_and_follow_the_teachers_decoding(self):
        import pseudo
        from finetune import build_tagger, make_windows, spans_of
        from model import Ensemble
        cfg = dict(DEFAULTS, **SMOKE, lexicon=[])
        texts = ["患者行腹腔镜下胆囊切除术。" * 9, "头孢曲松抗感染。"]
        vocab = T.build_vocab(texts, 1)
        torch.manual_seed(5)
        tagger = build_tagger(cfg, len(vocab)).eval()
        with torch.no_grad():
            torch.nn.init.normal_(tagger.proj.weight, std=3.0)  # random weights that do tag something
        records = pseudo.label_texts(Ensemble([tagger]), texts, vocab, 32)
        self.assertGreater(sum(len(r["entities"]) for r in records), 0)
        index = {c: i for i, c in enumerate(vocab)}
        for w in make_windows([{"text": t, "entities": []} for t in texts], index, 32, False):
            ids = torch.tensor([w["ids"]])
            spans = set(spans_of(tagger.predict(ids, torch.ones_like(ids))[0], w["start"]))
            inside = {x for x in records[w["rec"]]["entities"] if w["start"] <= x[0] < w["start"] + len(w["ids"])}
            self.assertEqual(inside, spans)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "labels.yidu.jsonl")
            T.write_yidu(records, path)
            self.assertEqual(T.read_yidu(path), records)


class CmeeeTest(unittest.TestCase):
    def test_reads_inclusive_ends_and_keeps_the_outermost_of_nested_entities(self):
        import cmeee
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "train_data.txt")
            with open(path, "w", encoding="utf-8") as f:
                f.write("\ufeff慢性胃炎伴胃痛。|||0    3    dis|||2    3    bod|||5    6    sym|||\n\n无异常。|||\n")
            records = cmeee.read_cmeee(path)
        self.assertEqual(records, [{"text": "慢性胃炎伴胃痛。", "entities": [(0, 4, "dis"), (5, 7, "sym")]},
                                   {"text": "无异常。", "entities": []}])

    def test_upper_layers_carry_over_to_the_yidu_tagger(self):
        import cmeee
        from finetune import build_tagger, init_from
        cfg = dict(DEFAULTS, **SMOKE, lexicon=[])
        cfg.update(intermediate_epochs=1, device="cpu", pretrained=None)
        vocab = T.build_vocab(["慢性胃炎伴胃痛。"] * 2, 1)
        records = [{"text": "慢性胃炎伴胃痛。", "entities": [(0, 4, "dis"), (5, 7, "sym")]}] * 4
        with tempfile.TemporaryDirectory() as d:
            out = cmeee.run(cfg, records, vocab, d, lambda msg: None, init=None)
            ck = torch.load(out, map_location="cpu", weights_only=False)
            yidu = build_tagger(cfg, len(vocab))
            init_from(yidu, out)
        self.assertTrue(torch.equal(yidu.gru.fwd.weight_ih_l0, ck["upper"]["gru.fwd.weight_ih_l0"]))
        self.assertTrue(torch.equal(yidu.bert.tok.weight, ck["bert"]["tok.weight"]))
        self.assertEqual(yidu.proj.out_features, 13)  # Yidu's own output layer, not CMeEE's 19 tags


class AuxiliaryStageTest(unittest.TestCase):
    def test_ccks2017_records_train_their_own_tags_and_never_hold_a_dev_text(self):
        import ccks2017
        import cmeee
        from finetune import build_tagger, init_from
        records = ccks2017.load(DATA)
        self.assertEqual({l for r in records for *_, l in r["entities"]}, set(ccks2017.TYPES))
        self.assertEqual(len(ccks2017.load(DATA, [records[0]["text"]])), len(records) - 1)
        cfg = dict(DEFAULTS, **SMOKE, lexicon=[])
        cfg.update(device="cpu", pretrained=None)
        vocab = T.build_vocab([r["text"] for r in records[:8]], 1)
        with tempfile.TemporaryDirectory() as d:
            out = cmeee.run(cfg, records[:8], vocab, d, lambda msg: None, tags=ccks2017.TAGS, epochs=1, what="CCKS 2017")
            ck = torch.load(out, map_location="cpu", weights_only=False)
            yidu = build_tagger(cfg, len(vocab))
            init_from(yidu, out)
        self.assertTrue(torch.equal(yidu.gru.fwd.weight_ih_l0, ck["upper"]["gru.fwd.weight_ih_l0"]))
        self.assertEqual(yidu.proj.out_features, 13)

    def test_pseudo_labelled_texts_are_never_gold_or_dev_texts(self):
        from pipeline import pseudo_texts
        train, dev, _ = split(load_yidu(DATA), 100, 2019)
        labelled = T.read_labelled(DATA, "ccks2020")
        cfg = dict(DEFAULTS, pseudo_corpus=["ccks2020", "clinical"])
        texts = pseudo_texts(cfg, DATA, train + labelled, dev)
        self.assertFalse(set(texts) & {r["text"] for r in train + labelled + dev})
        self.assertEqual(len(texts), 1258 + 1484)  # CCKS 2020's unlabelled records and the oncology records


class AverageAndAdversarialTest(unittest.TestCase):
    def test_the_average_ramps_up_and_is_applied_only_inside_its_block(self):
        from loop import Average
        m = torch.nn.Linear(2, 1)
        with torch.no_grad():
            m.weight.fill_(1.0)
        avg = Average(m, 0.9)
        with torch.no_grad():
            m.weight.fill_(3.0)
        avg.update(m)  # first step: decay min(0.9, 1/10)
        self.assertTrue(torch.allclose(avg.state["weights"]["weight"], torch.full((1, 2), 0.1 * 1 + 0.9 * 3)))
        for _ in range(200):
            avg.update(m)
        with avg.applied(m):
            self.assertTrue(torch.allclose(m.weight, torch.full((1, 2), 3.0), atol=1e-6))
            with torch.no_grad():
                m.weight.fill_(7.0)  # whatever happens inside, the module's own weights come back
        self.assertTrue(torch.equal(m.weight, torch.full((1, 2), 3.0)))

    def test_fgm_adds_the_gradient_at_the_moved_embeddings_and_moves_them_back(self):
        from loop import optimise_fgm
        emb = torch.nn.Parameter(torch.tensor([[1.0, 2.0], [0.0, 0.0]]))
        target = torch.tensor([[0.0, 0.0], [0.0, 0.0]])
        loss_fn = lambda: ((emb - target) ** 2).sum()  # noqa: E731
        opt = torch.optim.SGD([emb], lr=0.0)
        optimise_fgm(opt, loss_fn(), loss_fn, [emb], [0.0], emb, 0.5)
        g = 2 * torch.tensor([[1.0, 2.0], [0.0, 0.0]])
        delta = 0.5 * g / g.norm()
        expected = g + 2 * (torch.tensor([[1.0, 2.0], [0.0, 0.0]]) + delta)  # before clipping
        self.assertTrue(torch.allclose(emb.grad * max(1.0, float(expected.norm())), expected, atol=1e-5))
        self.assertTrue(torch.allclose(emb, torch.tensor([[1.0, 2.0], [0.0, 0.0]]), atol=1e-7))

    def test_fine_tuning_with_an_average_and_fgm_logs_both_scores(self):
        import finetune
        cfg = dict(DEFAULTS, **SMOKE, lexicon=[])
        text = "患者于2019年3月行腹腔镜下胆囊切除术，术后予头孢曲松抗感染。"
        vocab = T.build_vocab([text], 1)
        cfg.update(device="cpu", pretrained=None, epochs=2, patience=2, max_steps=2, max_len=64, ema_decay=0.9,
                   fgm_epsilon=0.5, teacher_seeds=[])
        records = [{"text": text, "entities": [(10, 19, "手术"), (23, 27, "药物")]}] * 4
        with tempfile.TemporaryDirectory() as d:
            best = finetune.run(cfg, records, records[:1], vocab, d, lambda msg: None)
            with open(os.path.join(d, "history.json")) as f:
                history = json.load(f)
            self.assertEqual([("dev" in h, "dev_raw" in h) for h in history], [(True, True)] * 2)
            last = torch.load(os.path.join(d, "last.pt"), weights_only=False)
            self.assertEqual(last["state"]["ema"]["n"], last["state"]["step"])  # resumable: the average travels with last.pt
            self.assertTrue(os.path.exists(best))


class RecipeTest(unittest.TestCase):
    def test_the_defaults_are_the_shipped_models_recipe(self):
        """`pipeline.py` with no settings reproduces models/bbrac: its model.json records the recipe."""
        from settings import recipe
        with open(os.path.join(HERE, "..", "bbrac", "model.json"), encoding="utf-8") as f:
            shipped = json.load(f)["training"]["recipe"]
        self.assertEqual(recipe(DEFAULTS), shipped)


class FurtherStepsTest(unittest.TestCase):
    def test_the_run_without_averaging_is_replayed_from_the_raw_weights_scores(self):
        import further_steps
        history = [{"epoch": i + 1, "dev_raw": {"f1": f}} for i, f in enumerate([0.70, 0.80, 0.78, 0.79, 0.795, 0.90])]
        # Patience 3: epoch 2 stays the best through epoch 5, so that run stops there, before the 0.90.
        self.assertEqual(further_steps.without_average(history), (0.80, 2, 5, True))
        self.assertEqual(further_steps.without_average(history[:4]), (0.80, 2, 4, False))  # a log cut before its stop
        self.assertEqual(further_steps.without_average(history, epochs=4), (0.80, 2, 4, True))


class PretrainNameTest(unittest.TestCase):
    def test_every_encoder_keeps_its_folder_and_other_settings_get_their_own(self):
        self.assertEqual(pretrain_name(DEFAULTS), "pretrain-h192-l3-wwm-e23-possinusoidal-lr0.002-bt32768-"
                         "yidu+cmeee+tianchi+ccks2020+clinical+ccks2017+medqa+medqa-nc+cmedqaner-r2-bf16")
        # The encoder of the model before (54 epochs on the first corpus) keeps its folder.
        before = dict(DEFAULTS, pretrain_epochs=54, pretrain_batch_tokens=16384, **FIRST_DATA)
        self.assertEqual(pretrain_name(before), "pretrain-h192-l3-wwm-e54-possinusoidal-lr0.002-bt16384")
        first = dict(DEFAULTS, **ablation.BASE)
        self.assertEqual(pretrain_name(first), "pretrain-h128-l4-wwm-e4")  # the ablation's budget
        self.assertEqual(pretrain_name(dict(first, wwm=False)), "pretrain-h128-l4-char-e4")
        self.assertEqual(pretrain_name(dict(first, pretrain_epochs=24, pretrain_lr=1e-3, pretrain_batch_tokens=4096)),
                         "pretrain-h128-l4-wwm-e24-lr0.001-bt4096")
        self.assertEqual(pretrain_name(dict(first, pretrain_batch=64)), "pretrain-h128-l4-wwm-e4-b64")


class LengthBucketsTest(unittest.TestCase):
    def test_groups_fit_the_budget_and_cover_every_index_once(self):
        import random
        from loop import length_buckets
        rng = random.Random(3)
        lengths = [rng.randint(8, 256) for _ in range(500)]
        groups = length_buckets(lengths, 1024, random.Random(1))
        self.assertEqual(sorted(i for g in groups for i in g), list(range(500)))
        for g in groups:
            self.assertTrue(len(g) == 1 or max(lengths[i] for i in g) * len(g) <= 1024)
        padded = sum(max(lengths[i] for i in g) * len(g) for g in groups)
        self.assertLess(padded / sum(lengths), 1.1)


class PositionInitTest(unittest.TestCase):
    def test_sinusoidal_start_is_smooth_at_the_random_scale_and_the_default_is_unchanged(self):
        from model import Bert
        torch.manual_seed(0)
        a = Bert(50, 32, 1, 2, 64, 128)
        torch.manual_seed(0)
        b = Bert(50, 32, 1, 2, 64, 128, pos_init="normal")
        self.assertTrue(torch.equal(a.pos.weight, b.pos.weight))
        pos = Bert(50, 32, 1, 2, 64, 128, pos_init="sinusoidal").pos.weight
        self.assertAlmostEqual(float(pos.std()), 0.02, delta=0.004)
        self.assertLess(float((pos[10] - pos[11]).norm()), float((pos[10] - pos[90]).norm()))
        with self.assertRaises(ValueError):
            Bert(50, 32, 1, 2, 64, 128, pos_init="rotary")


class OrderProbeTest(unittest.TestCase):
    def test_scores_in_order_and_shuffled(self):
        from model import Bert, MlmHead
        from pretrain import order_probe
        head = MlmHead(Bert(40, 16, 1, 2, 32, 64))
        examples = [([5 + (i * 7 + j) % 30 for j in range(20)], [0] * 20) for i in range(10)]
        scores = order_probe(head, examples, T.SPECIALS.index(T.MASK))
        self.assertEqual(len(scores), 2)
        self.assertTrue(all(0.0 <= x <= 1.0 for x in scores))
        self.assertTrue(head.training)


class AblationTableTest(unittest.TestCase):
    def test_rows_in_variant_order_with_paper_and_per_type_f1(self):
        import ablation

        def dev(f1, types):
            return {"dev": {"micro": {"precision": f1, "recall": f1, "f1": f1},
                            "types": {t: {"f1": v} for t, v in types.items()}}}
        table = ablation.table({"bbrac-char-masking": dev(0.7, {"药物": 0.8}), "bert": dev(0.5, {"手术": 0.25})})
        rows = table.splitlines()
        self.assertEqual(len(rows), 4)
        self.assertTrue(rows[2].startswith("| bert | 0.5000 | 0.5000 | 0.5000 | 0.62 | "))
        self.assertTrue(rows[2].endswith("| — | — | — | — | 0.2500 | — |"))
        self.assertIn("| bbrac-char-masking | 0.7000 | 0.7000 | 0.7000 | — | — | — | 0.8000 |", rows[3])


class Table2Test(unittest.TestCase):
    def test_variants_validate_and_rows_carry_the_papers_figures(self):
        import table2
        for settings in [table2.BASE, *table2.VARIANTS.values()]:
            resolve(sets=ablation.as_sets(settings))
        dev = {"micro": {"precision": 0.7, "recall": 0.8, "f1": 0.75}, "types": {"药物": {"f1": 0.9}}}
        rows = table2.table({"bbrac": {"dev": dev}, "fasttext-cnn": {"dev": dev}}).splitlines()
        self.assertEqual(rows[2], "| fasttext-cnn | 0.7000 | 0.8000 | 0.7500 | 0.74 | — | — | 0.9000 | — | — | — |")
        self.assertTrue(rows[3].startswith("| bbrac | 0.7000 | 0.8000 | 0.7500 | 0.81 |"))

    def test_the_embeddings_of_an_encoder_load_into_the_baselines_0_layer_encoder(self):
        import table2
        from finetune import build_tagger, init_from
        cfg = dict(DEFAULTS, **SMOKE, lexicon=[])
        encoder = build_tagger(cfg, 30).bert
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "encoder.pt")
            torch.save({"bert": encoder.state_dict(), "cfg": cfg}, path)
            baseline = build_tagger(dict(cfg, **table2.VARIANTS["bigru-attn"]), 30)
            init_from(baseline, table2.embeddings_only(path, os.path.join(d, "embeddings.pt")))
        self.assertTrue(torch.equal(baseline.bert.tok.weight, encoder.tok.weight))
        self.assertEqual(len(baseline.bert.layers), 0)


class SettingsTest(unittest.TestCase):
    def refused(self, *sets):
        with self.assertRaises(SettingsError) as e:
            resolve(sets=sets)
        return str(e.exception)

    def test_an_unknown_key_is_refused_naming_the_closest(self):
        self.assertEqual(self.refused("techer_seeds=[]"),
                         '--set: unknown setting "techer_seeds" (did you mean "teacher_seeds"?)')
        self.assertEqual(self.refused("epochs=3", "pretrain_epoch=0"),
                         '--set: unknown setting "pretrain_epoch" (did you mean "pretrain_epochs"?)')

    def test_a_value_of_the_wrong_type_is_refused(self):
        self.assertEqual(self.refused('epochs="3"'), '--set: setting "epochs" takes an integer, not "3"')
        self.assertEqual(self.refused("epochs=3.5"), '--set: setting "epochs" takes an integer, not 3.5')
        self.assertEqual(self.refused("gru=1"), '--set: setting "gru" takes true or false, not 1')
        self.assertEqual(self.refused("threads=true"), '--set: setting "threads" takes an integer, not true')
        self.assertEqual(self.refused("pretrained=5"), '--set: setting "pretrained" takes a string or null, not 5')
        self.assertEqual(self.refused("name=null"), '--set: setting "name" takes a string, not null')
        self.assertEqual(self.refused('teacher_seeds=["a"]'),
                         '--set: setting "teacher_seeds" takes a list of integers or nulls, not ["a"]')
        self.assertEqual(self.refused("teacher_seeds=3"),
                         '--set: setting "teacher_seeds" takes a list of integers or nulls, not 3')
        self.assertIn("not JSON", self.refused("name=bbrac2"))
        self.assertIn("not KEY=JSON", self.refused("epochs"))

    def test_valid_sets_apply_on_top_of_the_smoke_settings(self):
        cfg = resolve(True, None, ["epochs=3", "lr_top=1", 'pretrained="enc.pt"', "pretrain_batch_tokens=null",
                                   "teacher_seeds=[null, 4]", "pretrain_seconds=90", 'teachers=["a.pt"]'])
        self.assertEqual(cfg, {**DEFAULTS, **SMOKE, "epochs": 3, "lr_top": 1, "pretrained": "enc.pt",
                               "pretrain_batch_tokens": None, "teacher_seeds": [None, 4], "pretrain_seconds": 90,
                               "teachers": ["a.pt"]})
        self.assertEqual(parse_set("name=\"x=y\""), ("name", "x=y"))

    def test_a_config_file_is_checked_like_sets(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "c.json")
            with open(path, "w", encoding="utf-8") as f:
                json.dump({"hidden": 64, "ffnn": 128}, f)
            with self.assertRaises(SettingsError) as e:
                resolve(config=path)
            self.assertEqual(str(e.exception), path + ': unknown setting "ffnn" (did you mean "ffn"?)')
            with open(path, "w", encoding="utf-8") as f:
                json.dump({"dropout": "0.2"}, f)
            with self.assertRaisesRegex(SettingsError, 'setting "dropout" takes a number, not "0.2"$'):
                resolve(config=path)
            with open(path, "w", encoding="utf-8") as f:
                json.dump([["hidden", 64]], f)
            with self.assertRaisesRegex(SettingsError, "not a JSON object"):
                resolve(config=path)

    def test_every_config_and_every_experiments_settings_validate(self):
        configs = sorted(glob.glob(os.path.join(HERE, "experiments", "configs", "*.json")))
        self.assertEqual(len(configs), 3)
        for path in configs:
            self.assertEqual(resolve(config=path)["name"], os.path.basename(path)[: -len(".json")])
        # The experiments hand these to pipeline.py as --set.
        for settings in [SMOKE, ablation.BASE, *ablation.VARIANTS.values(), gpu_sweep.SWEEP, gpu_sweep.BIG_BATCH,
                         *(extra for _, extra in gpu_sweep.SOUP), *gpu_sweep.SIZES.values()]:
            resolve(sets=ablation.as_sets(settings))

    def test_every_setting_is_declared_once_with_a_comment(self):
        with open(os.path.join(HERE, "settings.py"), encoding="utf-8") as f:
            source = f.read()
        block = source[source.index("DEFAULTS = {\n"):]
        block = block[: block.index("\n}\n")].splitlines()[1:]
        keys = [line.split('"')[1] for line in block]
        self.assertEqual(keys, list(DEFAULTS))
        for line in block:
            self.assertRegex(line, r'^    "\w+": .*,  # \S')

    def test_a_checkpoint_from_before_a_setting_existed_loads_as_it_was_trained(self):
        from finetune import build_tagger, load_tagger
        old = {k: v for k, v in {**DEFAULTS, **SMOKE}.items() if k not in ("pos_init", "data_seed")}
        torch.manual_seed(7)
        tagger = build_tagger(dict(old, pos_init="normal"), 40)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "best.pt")
            torch.save({"model": tagger.state_dict(), "cfg": old, "vocab": [str(i) for i in range(40)]}, path)
            loaded = load_tagger(path)
        self.assertTrue(torch.equal(loaded.bert.pos.weight, tagger.bert.pos.weight))

    def test_the_pipeline_stops_at_once_on_an_unknown_setting(self):
        with tempfile.TemporaryDirectory() as d:
            run_dir = os.path.join(d, "run")
            p = subprocess.run([sys.executable, os.path.join(HERE, "pipeline.py"), "--smoke", "--run-dir", run_dir,
                                "--data", d, "--set", "techer_seeds=[]"], capture_output=True, text=True)
            self.assertNotEqual(p.returncode, 0)
            self.assertEqual(p.stderr,
                             'pipeline.py: --set: unknown setting "techer_seeds" (did you mean "teacher_seeds"?)\n')
            self.assertEqual(p.stdout, "")
            self.assertFalse(os.path.exists(run_dir), "nothing was started")


class LargerCorpusTest(unittest.TestCase):
    def setUp(self):
        records = load_yidu(DATA)
        self.train, self.dev, _ = split(records, 100, 2019)

    def test_the_first_corpus_is_the_first_encoders_and_the_others_never_hold_dev_text(self):
        train_texts, dev_texts = [r["text"] for r in self.train], [r["text"] for r in self.dev]
        first = T.pretraining_texts(DATA, FIRST_DATA["pretrain_corpus"], train_texts, dev_texts)
        self.assertEqual(first, train_texts + T.read_unlabelled(DATA))  # its words.json caches stay aligned
        clinical = T.pretraining_texts(DATA, ["ccks2020", "clinical", "medqa"], train_texts, dev_texts, clinical_repeat=2)
        once = T.pretraining_texts(DATA, ["ccks2020", "clinical", "medqa"], train_texts, dev_texts)
        qa = len(T.CORPORA["medqa"](DATA))
        self.assertEqual(len(clinical) - qa, 2 * (len(once) - qa))
        self.assertFalse(set(dev_texts) & set(T.pretraining_texts(DATA, list(T.CORPORA), train_texts + dev_texts,
                                                                     dev_texts)))

    def test_ccks2020_records_join_the_training_split_only(self):
        from pipeline import add_labelled
        cfg = dict(DEFAULTS, extra_labelled=["ccks2020"])
        lines = []
        grown = add_labelled(cfg, DATA, self.train, self.dev, lines.append)
        ccks = T.read_labelled(DATA, "ccks2020")
        self.assertEqual(len(ccks), 179)
        self.assertEqual(grown, self.train + ccks)
        self.assertEqual(lines, ["extra labelled records: 179 from ccks2020"])
        self.assertEqual(add_labelled(dict(DEFAULTS, extra_labelled=[]), DATA, self.train, self.dev, lines.append), self.train)

    def test_a_new_corpus_gets_its_own_encoder_folder(self):
        cfg = dict(DEFAULTS, pretrain_corpus=["yidu", "clinical"], clinical_repeat=2, pretrain_bf16=True)
        self.assertEqual(pretrain_name(cfg),
                         "pretrain-h192-l3-wwm-e23-possinusoidal-lr0.002-bt32768-yidu+clinical-r2-bf16")

    def test_names_outside_the_choices_are_refused(self):
        with self.assertRaises(SettingsError) as e:
            parse_set('pretrain_corpus=["yidu", "medqna"]')
        self.assertIn('setting "pretrain_corpus" takes yidu, cmeee, tianchi', str(e.exception))
        self.assertTrue(str(e.exception).endswith('not "medqna"'))
        for kv in ('rnn="lsmt"', 'extra_labelled=["ccks2017"]', 'device="gpu"'):
            self.assertRaises(SettingsError, parse_set, kv)


class PretrainWorkersTest(unittest.TestCase):
    def test_batch_workers_train_exactly_the_weights_of_the_loop(self):
        import pretrain
        texts = ["患者于2019年3月行腹腔镜下胆囊切除术，术后予头孢曲松抗感染。" * 3, "CT示右肺上叶结节，大小约1.2cm。"] * 20
        vocab = T.build_vocab(texts, 1)
        cfg = dict(DEFAULTS, **SMOKE, lexicon=[])
        cfg.update(wwm=False, log_steps=10 ** 6, ckpt_steps=10 ** 6, device="cpu", pretrain_epochs=2)
        weights = []
        for workers in (0, 2):
            with tempfile.TemporaryDirectory() as d:
                out, _ = pretrain.run(dict(cfg, pretrain_workers=workers), texts, vocab, d, lambda msg: None)
                weights.append(torch.load(out, weights_only=False)["bert"])
        for k in weights[0]:
            self.assertTrue(torch.equal(weights[0][k], weights[1][k]), k)

    def test_segmentation_cuts_each_distinct_text_once_in_worker_processes_as_alone(self):
        import pretrain
        texts = [f"患者{i}年行腹腔镜下胆囊切除术" for i in range(1200)] * 2
        with tempfile.TemporaryDirectory() as d:
            pooled = pretrain.segment(texts, os.path.join(d, "a.json"), lambda msg: None, processes=2)
            alone = pretrain.segment(texts, os.path.join(d, "b.json"), lambda msg: None, processes=1)
        self.assertEqual(pooled, alone)
        self.assertEqual([sum(w) for w in pooled], [len(t) for t in texts])


class BaselineTest(unittest.TestCase):
    def test_lstm_and_convolution_baselines_ignore_padding(self):
        from finetune import build_tagger
        cfg = dict(DEFAULTS, **SMOKE, dropout=0.0, lexicon=[])
        for variant in ({"rnn": "lstm", "attn": False}, {"layers": 0, "gru": False, "attn": False, "crf": False,
                                                        "cnn_layers": 3}):
            torch.manual_seed(5)
            tagger = build_tagger(dict(cfg, **variant), 30).eval()
            ids = torch.randint(4, 30, (2, 7))
            mask = torch.tensor([[1] * 7, [1] * 4 + [0] * 3])
            with torch.no_grad():
                both = tagger.emissions(ids, mask)
                alone = tagger.emissions(ids[1:, :4], mask[1:, :4])
            self.assertTrue(torch.allclose(both[1, :4], alone[0], atol=1e-5), variant)

class GpuRunTest(unittest.TestCase):
    def test_checkpoints_fill_parts_under_the_limit_in_priority_order(self):
        import gpu_run
        with tempfile.TemporaryDirectory() as d:
            files = []
            for name, size in [("a", 9), ("b", 9), ("c", 5), ("d", 9), ("e", 3)]:
                files.append(os.path.join(d, name))
                with open(files[-1], "wb") as f:
                    f.write(b"x" * size * 1000)
            parts, left_out = gpu_run.pack(files, part_bytes=25000, max_parts=2)  # each file + 4,096 bytes
        self.assertEqual([[os.path.basename(p) for p in part] for part in parts], [["a", "c"], ["b", "e"]])
        self.assertEqual(left_out, ["d"])

    def test_parts_stay_under_the_total_the_tool_sends_back(self):
        import gpu_run
        with tempfile.TemporaryDirectory() as d:
            files = []
            for name in "abcd":
                files.append(os.path.join(d, name))
                with open(files[-1], "wb") as f:
                    f.write(b"x" * 9000)
            parts, left_out = gpu_run.pack(files, part_bytes=14000, max_parts=4, total_bytes=30000)
        # each file + 4,096 bytes: four parts would hold them all, the total holds two
        self.assertEqual([[os.path.basename(p) for p in part] for part in parts], [["a"], ["b"]])
        self.assertEqual(left_out, ["c", "d"])

    def test_skipping_a_job_skips_what_builds_on_it(self):
        import argparse
        import gpu_run
        names = [j[0] for j in gpu_run.selected(argparse.Namespace(smoke=False, skip=["pre-256", "t2-"]))]
        self.assertEqual(names, ["pre-192x3", "cmeee-192x3", *(f"ft-192x3-{g}-{s}" for g in ("ccks", "yidu", "lex")
                                                                for s in ("s13", "s21", "s22"))])

    def test_every_job_resolves_and_starts_after_a_job_before_it(self):
        import gpu_run
        plans = {}
        for smoke in (False, True):
            jobs = gpu_run.jobs(smoke)
            plan = {"smoke": smoke, "pretrain_seconds": 100,
                    "jobs": {n: {"kind": k, "after": a, "settings": s} for n, k, a, s, _, _ in jobs}}
            plans[smoke] = plan
            names = [j[0] for j in jobs]
            for i, (name, kind, after, _, _, precision) in enumerate(jobs):
                cfg = gpu_run.job_settings(plan, name)
                self.assertIn(precision, ("fp32", "fp16", None))
                if after:
                    self.assertLess(names.index(after), i)
                if kind == "pretrain":
                    self.assertEqual(cfg["pretrain_seconds"], 100)
                    self.assertEqual(cfg["pretrain_corpus"], list(T.CORPORA))
        full = {n: gpu_run.job_settings(plans[False], n) for n in ("ft-192x3-ccks-s13", "t2-bigru-attn")}
        self.assertEqual((full["ft-192x3-ccks-s13"]["hidden"], full["ft-192x3-ccks-s13"]["layers"]), (192, 3))
        self.assertEqual(full["ft-192x3-ccks-s13"]["extra_labelled"], ["ccks2020"])
        self.assertEqual(full["t2-bigru-attn"]["layers"], 0)


class LexiconTest(unittest.TestCase):
    def test_features_mark_begin_middle_end_and_single_per_type_on_normalised_text(self):
        import lexicon as L
        lex = L.Lexicon([("CT", "影像检查"), ("胸部", "解剖部位"), ("胸", "解剖部位"), ("腹腔镜下胆囊切除术", "手术"),
                         ("ab cd", "term")])
        bits = lex.features("ＣＴ示胸部\u3000腹腔镜下胆囊切除术𠀀ab cd")
        img, body, op = L.TYPES.index("影像检查"), L.TYPES.index("解剖部位"), L.TYPES.index("手术")
        n = len(L.TYPES)

        def on(i):
            return {(L.POSITIONS[b // n], L.TYPES[b % n]) for b in range(L.DIM) if bits[i] >> b & 1}
        self.assertEqual(on(0), {("B", "影像检查")})  # full-width, upper-case: still "ct"
        self.assertEqual(on(1), {("E", "影像检查")})
        self.assertEqual(on(2), set())
        self.assertEqual(on(3), {("B", "解剖部位"), ("S", "解剖部位")})
        self.assertEqual(on(4), {("E", "解剖部位")})
        self.assertEqual(on(6), {("B", "手术")})
        self.assertEqual([on(i) for i in range(7, 14)], [{("M", "手术")}] * 7)
        self.assertEqual(on(14), {("E", "手术")})
        self.assertEqual(len(bits), len("ＣＴ示胸部\u3000腹腔镜下胆囊切除术𠀀ab cd"))  # one per code point
        self.assertEqual(bits[15:], [0] * 6)  # terms with whitespace are left out
        self.assertEqual((img, body, op), (5, 1, 4))

    def test_a_training_record_does_not_see_entities_only_it_has(self):
        import lexicon as L
        a = {"text": "行胆囊切除术", "entities": [(1, 6, "手术")]}
        b = {"text": "胃癌", "entities": [(0, 2, "疾病和诊断"), (0, 1, "解剖部位")]}
        c = {"text": "胃镜", "entities": [(0, 1, "解剖部位")]}
        lex = L.Lexicon(counts=L.entity_counts([a, b, c] + [a] * 2))  # a repeated, as --extra-repeat does
        self.assertEqual(lex.features(a["text"], L.own_entities(a)), [0] * 6)
        self.assertNotEqual(lex.features(a["text"]), [0] * 6)  # the dev split sees every training entity
        anatomy_alone = 1 << (3 * len(L.TYPES) + L.TYPES.index("解剖部位"))
        self.assertEqual(lex.features(b["text"], L.own_entities(b)), [anatomy_alone, 0])  # c has 胃 too

    def test_every_source_reads_and_a_users_file_round_trips(self):
        import lexicon as L
        train = load_yidu(DATA)[:50]
        lex = L.build(list(L.SOURCES), DATA, train)
        entries = lex.entries()
        self.assertGreater(len(entries), 40000)
        self.assertIn(L.TYPES.index("影像检查"), entries[L.key("CT")])  # "ct" as vocab.tsv has it
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "lexicon.tsv")
            L.write_tsv(lex, path)
            again = L.Lexicon(L.read_entries(path))
            self.assertEqual(again.entries(), entries)
            with open(path, "a", encoding="utf-8") as f:
                f.write("胆囊\t器官\n")
            with self.assertRaises(ValueError) as e:
                L.read_entries(path)
            self.assertEqual(str(e.exception), f'{path}:{len(entries) + 1}: unknown type "器官"')

    def test_the_typescript_parity_fixture_is_what_python_computes(self):
        import lexicon as L
        fixture = os.path.join(os.path.dirname(os.path.dirname(HERE)), "test", "fixtures", "lexicon-parity.json")
        with tempfile.TemporaryDirectory() as d:
            L.write_fixture(os.path.join(d, "f.json"))
            with open(os.path.join(d, "f.json"), encoding="utf-8") as f, open(fixture, encoding="utf-8") as g:
                self.assertEqual(json.load(f), json.load(g), "rerun: python3 models/training/lexicon.py " + fixture)

    def test_a_tagger_with_features_starts_as_the_one_without_and_needs_them(self):
        from finetune import build_tagger, lex_tensor
        import lexicon as L
        torch.manual_seed(8)
        plain = build_tagger(dict(DEFAULTS, **SMOKE, lexicon=[]), 30).eval()
        torch.manual_seed(8)
        with_lex = build_tagger(dict(DEFAULTS, **SMOKE, lexicon=["train"]), 30).eval()
        ids, mask = torch.randint(4, 30, (1, 5)), torch.ones(1, 5, dtype=torch.long)
        lex = lex_tensor([{"lex": [1, 2 ** 27, 0, 5, 3]}], 5)
        self.assertEqual(lex.shape, (1, 5, L.DIM))
        self.assertEqual(lex[0, 1].nonzero().flatten().tolist(), [27])
        with torch.no_grad():
            self.assertTrue(torch.equal(with_lex.emissions(ids, mask, lex), plain.emissions(ids, mask)))
        self.assertRaises(ValueError, with_lex.emissions, ids, mask)


if __name__ == "__main__":
    unittest.main()
