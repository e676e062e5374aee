// The six entity types of the Yidu-S4K corpus. The Chinese names are canonical (they
// appear in the training data, the model's tag set and our jsonl output); the English
// aliases are for command-line flags and UI.

export const YIDU_LABELS = ['疾病和诊断', '解剖部位', '药物', '实验室检验', '手术', '影像检查'] as const;

export type YiduLabel = (typeof YIDU_LABELS)[number];

export const LABEL_ALIASES: Readonly<Record<YiduLabel, string>> = {
  疾病和诊断: 'disease',
  解剖部位: 'anatomy',
  药物: 'drug',
  实验室检验: 'lab',
  手术: 'operation',
  影像检查: 'imaging',
};

export function isYiduLabel(name: string): name is YiduLabel {
  return (YIDU_LABELS as readonly string[]).includes(name);
}

/** Accepts a Chinese label or its English alias (case-insensitive); undefined if neither. */
export function parseLabel(name: string): YiduLabel | undefined {
  if (isYiduLabel(name)) return name;
  const lower = name.toLowerCase();
  return YIDU_LABELS.find((label) => LABEL_ALIASES[label] === lower);
}
