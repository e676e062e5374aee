/**
 * How each entity type is drawn besides its colour, so that types stay apart without colour vision
 * (and in grey-scale): the underline's style and weight, or an outline round the text. No `vscode`
 * import, so that a unit test checks them (test/unit/palette.test.ts, with the colours).
 */
import type { YiduLabel } from '../core/labels';

export interface TypeStyle {
  borderStyle: 'solid' | 'dashed' | 'dotted' | 'double';
  /** CSS border-width: an underline (bottom only) or an outline (all sides). */
  borderWidth: string;
  borderRadius?: string;
}

export const TYPE_STYLES: Readonly<Record<YiduLabel, TypeStyle>> = {
  疾病和诊断: { borderStyle: 'solid', borderWidth: '0 0 2px 0' },
  解剖部位: { borderStyle: 'dashed', borderWidth: '0 0 2px 0' },
  药物: { borderStyle: 'dotted', borderWidth: '0 0 3px 0' },
  实验室检验: { borderStyle: 'double', borderWidth: '0 0 3px 0' },
  手术: { borderStyle: 'solid', borderWidth: '1px', borderRadius: '3px' },
  影像检查: { borderStyle: 'dashed', borderWidth: '1px', borderRadius: '3px' },
};
