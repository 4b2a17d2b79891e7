// A short lesson for the tests of answers from a source (ask-cases.mjs): the water cycle, in
// Indonesian, as a host page's <article id="lesson"> (server.mjs) and as plain text. Its last
// paragraph holds a character outside the BMP (🌊) and a degree sign, so that UTF-16 spans are
// checked where they differ from code points and bytes.

export const TITLE = 'Siklus Air';

export const PARAGRAPHS = [
  'Air di bumi selalu bergerak dalam sebuah siklus yang disebut siklus air. Siklus ini tidak pernah berhenti dan digerakkan oleh panas matahari.',
  'Penguapan atau evaporasi adalah perubahan air dari zat cair menjadi uap air. Panas matahari menguapkan air dari laut, danau, dan sungai. Tumbuhan juga melepaskan uap air melalui daunnya; proses ini disebut transpirasi.',
  'Uap air naik ke udara yang lebih dingin. Di sana uap air mendingin dan berubah menjadi titik-titik air yang sangat kecil. Proses ini disebut kondensasi, dan kumpulan titik air itu membentuk awan.',
  'Ketika titik-titik air di awan makin besar dan berat, air jatuh ke bumi sebagai hujan. Jatuhnya air dari awan disebut presipitasi. Di daerah yang sangat dingin, presipitasi dapat berupa salju atau es.',
  'Air hujan meresap ke dalam tanah dan menjadi air tanah, atau mengalir di permukaan menuju sungai. Sungai membawa air kembali ke laut, dan siklus air dimulai lagi. 🌊 Air mendidih pada suhu 100 °C di permukaan laut.',
];

/** The lesson as plain text: its title, then its paragraphs, blank lines between. */
export const LESSON_TEXT = [TITLE, ...PARAGRAPHS].join('\n\n');

/** The same as markdown, the title a heading. */
export const LESSON_MARKDOWN = [`# ${TITLE}`, ...PARAGRAPHS].join('\n\n');

/** The lesson as a host page writes it. */
export const LESSON_ARTICLE = `<article id="lesson"><h2>${TITLE}</h2>${PARAGRAPHS.map((p) => `<p>${p}</p>`).join('')}</article>`;

/** A question the lesson answers, with the one sentence that answers it and where it is. */
export const ANSWERED = {
  question: 'Apa itu transpirasi?',
  sentence: 'Tumbuhan juga melepaskan uap air melalui daunnya; proses ini disebut transpirasi.',
  paragraph: PARAGRAPHS[1],
};

/** A question about water the lesson does not answer (it has no word of salt). */
export const UNANSWERED = 'Mengapa air laut asin?';

/** What an abstention says (crate/src/ground/answer.rs, ABSTAIN_TEXT). */
export const ABSTAIN_TEXT = 'Aku tidak menemukan jawabannya di sumber ini.';
