#!/usr/bin/env bash
# Fills .gpudata/ (ignored by git) at the repository root with what gpu_run.sh reads on a GPU machine
# that has no ../shared/data and no jieba: the corpus files below and the part of jieba that
# jieba.cut needs (its dictionary and HMM tables, not posseg, analyse or the paddle model).
#   bash models/training/gpu_data.sh [DATA_DIR]     # default ../shared/data, or $MEDNER_DATA
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DATA=${1:-${MEDNER_DATA:-$(dirname "$ROOT")/shared/data}}
DEST="$ROOT/.gpudata"
JIEBA=$("${PYTHON:-/usr/bin/python3}" -c 'import jieba, os; print(os.path.dirname(jieba.__file__))')
rm -rf "$DEST"
mkdir -p "$DEST/pylib/jieba/finalseg"
cd "$DATA"
cp --parents yidu-s4k/subtask1_training_part1.txt yidu-s4k/subtask1_training_part2.txt \
  cmeee/train_data.txt cmeee/val_data.txt ccks2020/labelled.jsonl ccks2020/unlabelled.jsonl \
  clinical-unlabelled/records.jsonl ccks2017/labelled.jsonl ccks2020/vocab.tsv \
  lexicons/thuocl_medical.tsv lexicons/icd10cn.tsv \
  medical-qa/text.jsonl medical-qa/cmedqa_noncommercial.jsonl medical-qa/cmedqaner.jsonl "$DEST/"
mkdir -p "$DEST/tianchi-drug"
cp tianchi-drug/*.txt "$DEST/tianchi-drug/"
cp "$JIEBA/__init__.py" "$JIEBA/_compat.py" "$JIEBA/dict.txt" "$DEST/pylib/jieba/"
cp "$JIEBA"/finalseg/*.py "$DEST/pylib/jieba/finalseg/"
du -sb "$DEST" | awk '{printf "%s: %.1f MB\n", $2, $1 / 1e6}'
