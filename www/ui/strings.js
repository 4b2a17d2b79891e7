// The interface's words, in Indonesian (the default) and English. Every string the chat shows
// comes from here; `{name}` marks a value filled in by `format`.

export const LANGUAGES = ['id', 'en'];

const id = {
  switchLanguage: 'English',
  switchLanguageLabel: 'Switch the interface to English',
  settings: 'Pengaturan',
  closeSettings: 'Tutup pengaturan',
  threads: 'Percakapan',
  newThread: 'Percakapan baru',
  untitled: 'Percakapan tanpa judul',
  rename: 'Ganti nama',
  renamePrompt: 'Nama baru percakapan ini:',
  delete: 'Hapus',
  deleteConfirm: 'Hapus percakapan "{title}"? Ini tidak bisa dibatalkan.',
  showThreads: 'Daftar percakapan',
  messagesLabel: 'Isi percakapan',
  modes: 'Mode',
  modeChat: 'Obrolan',
  modeLpgId: 'Lampung → Indonesia',
  modeIdLpg: 'Indonesia → Lampung',
  placeholderChat: 'Tulis pesan…',
  placeholderLpgId: 'Tulis kalimat bahasa Lampung…',
  placeholderIdLpg: 'Tulis kalimat bahasa Indonesia…',
  inputLabel: 'Pesanmu',
  send: 'Kirim',
  translate: 'Terjemahkan',
  stop: 'Berhenti',
  regenerate: 'Buat ulang',
  edit: 'Ubah',
  saveEdit: 'Kirim ulang',
  cancelEdit: 'Batal',
  copy: 'Salin',
  you: 'Kamu',
  assistant: 'Siger',
  translation: 'Terjemahan',
  stopped: '(dihentikan)',
  cutShort: '(terpotong: batas panjang jawaban tercapai)',
  greetingChat: 'Halo! Tanya apa saja. Model ini kecil dan sering keliru: periksa lagi jawabannya.',
  greetingTranslate:
    'Tulis kalimat, dan Siger menerjemahkannya kata demi kata sambil menunjukkan asal setiap kata.',
  checking: 'Memeriksa perangkat…',
  downloading: 'Mengunduh model: {loaded} dari {total} ({percent}%)',
  fromCache: 'Memuat model dari penyimpanan perangkat…',
  verifying: 'Memeriksa berkas model…',
  starting: 'Menyalakan mesin ({backend})…',
  ready: 'Siap',
  backendWebgpu: 'WebGPU',
  backendCpu: 'CPU',
  speed: '{rate} token/detik',
  statusLine: '{backend} · {speed}',
  notCaching:
    'Model tidak bisa disimpan di perangkat ini (penyimpanan tidak tersedia atau hampir penuh); kunjungan berikutnya akan mengunduhnya lagi.',
  fellBack: 'Kartu grafis berhenti bekerja; Siger melanjutkan di CPU (lebih lambat).',
  loadFailed: 'Model gagal dimuat: {reason}',
  loadFailedHelp:
    'Periksa koneksi internet, lalu coba lagi. Jika terus gagal, pilih "CPU" di Pengaturan.',
  retry: 'Coba lagi',
  replyFailed:
    'Jawaban gagal dibuat: {reason}. Pesanmu dikembalikan ke kotak tulis; coba kirim lagi.',
  translateFailed: 'Terjemahan gagal: {reason}. Kalimatmu dikembalikan ke kotak tulis.',
  noStorage:
    'Percakapan tidak bisa disimpan di perangkat ini (penyimpanan diblokir atau penuh); percakapan hilang saat halaman ditutup.',
  storageFailed:
    'Percakapan tidak tersimpan: {reason}. Kosongkan ruang penyimpanan atau hapus percakapan lama.',
  noWorkers:
    'Peramban ini tidak bisa menjalankan Siger (tidak ada Web Worker atau WebAssembly). Coba Chrome, Edge, atau Firefox versi baru.',
  dismiss: 'Tutup',
  temperature: 'Suhu (keacakan)',
  temperatureHelp: '0 = selalu jawaban yang sama; lebih tinggi = lebih beragam.',
  topP: 'Top-p',
  topPHelp: 'Hanya memilih dari kata paling mungkin yang peluangnya berjumlah p.',
  maxTokens: 'Panjang jawaban maksimum (token)',
  seed: 'Benih acak (seed)',
  seedHelp:
    'Kosongkan untuk jawaban berbeda setiap kali; isi angka untuk jawaban yang bisa diulang.',
  backend: 'Mesin',
  backendAuto: 'Otomatis',
  backendHelp: 'WebGPU memakai kartu grafis; CPU bekerja di semua perangkat.',
  clearData: 'Hapus semua data',
  clearDataHelp:
    'Menghapus semua percakapan, pengaturan, dan model yang tersimpan di perangkat ini.',
  clearConfirm:
    'Hapus semua percakapan, pengaturan, dan model tersimpan? Ini tidak bisa dibatalkan.',
  cleared: 'Semua data dihapus.',
  sources: 'Asal kata',
  sourcePhrasebook: 'buku frasa',
  sourceLexicon: 'kamus',
  sourceMorphology: 'morfologi',
  sourceModel: 'tebakan model',
  sourceUnknown: 'tidak dikenal',
  sourcePunctuation: 'tanda baca',
  sourceNote:
    'Kata bertanda "tebakan model" belum pasti benar; kata "tidak dikenal" dibiarkan seperti aslinya.',
  entry: 'entri: {entry}',
  origin: 'dari {origin}',
  openChat: 'Buka Siger',
  closeChat: 'Tutup Siger',
};

const en = {
  switchLanguage: 'Bahasa Indonesia',
  switchLanguageLabel: 'Ganti bahasa antarmuka ke Bahasa Indonesia',
  settings: 'Settings',
  closeSettings: 'Close settings',
  threads: 'Conversations',
  newThread: 'New conversation',
  untitled: 'Untitled conversation',
  rename: 'Rename',
  renamePrompt: 'New name for this conversation:',
  delete: 'Delete',
  deleteConfirm: 'Delete the conversation "{title}"? This cannot be undone.',
  showThreads: 'Conversation list',
  messagesLabel: 'Conversation',
  modes: 'Mode',
  modeChat: 'Chat',
  modeLpgId: 'Lampung → Indonesian',
  modeIdLpg: 'Indonesian → Lampung',
  placeholderChat: 'Write a message…',
  placeholderLpgId: 'Write a sentence in Lampung…',
  placeholderIdLpg: 'Write a sentence in Indonesian…',
  inputLabel: 'Your message',
  send: 'Send',
  translate: 'Translate',
  stop: 'Stop',
  regenerate: 'Regenerate',
  edit: 'Edit',
  saveEdit: 'Resend',
  cancelEdit: 'Cancel',
  copy: 'Copy',
  you: 'You',
  assistant: 'Siger',
  translation: 'Translation',
  stopped: '(stopped)',
  cutShort: '(cut short: the reply length limit was reached)',
  greetingChat: 'Hello! Ask anything. This model is small and often wrong: check its answers.',
  greetingTranslate:
    'Write a sentence and Siger translates it word by word, showing where each word came from.',
  checking: 'Checking this device…',
  downloading: 'Downloading the model: {loaded} of {total} ({percent}%)',
  fromCache: 'Loading the model from this device…',
  verifying: 'Checking the model files…',
  starting: 'Starting the engine ({backend})…',
  ready: 'Ready',
  backendWebgpu: 'WebGPU',
  backendCpu: 'CPU',
  speed: '{rate} tokens/s',
  statusLine: '{backend} · {speed}',
  notCaching:
    'The model cannot be kept on this device (storage is unavailable or nearly full); the next visit downloads it again.',
  fellBack: 'The graphics card stopped working; Siger goes on on the CPU (slower).',
  loadFailed: 'The model failed to load: {reason}',
  loadFailedHelp:
    'Check the internet connection and try again. If it keeps failing, choose "CPU" in Settings.',
  retry: 'Try again',
  replyFailed: 'The reply failed: {reason}. Your message is back in the input box; send it again.',
  translateFailed: 'The translation failed: {reason}. Your sentence is back in the input box.',
  noStorage:
    'Conversations cannot be kept on this device (storage is blocked or full); they are lost when the page closes.',
  storageFailed:
    'The conversation was not saved: {reason}. Free some storage or delete old conversations.',
  noWorkers:
    'This browser cannot run Siger (no Web Workers or WebAssembly). Try a recent Chrome, Edge or Firefox.',
  dismiss: 'Dismiss',
  temperature: 'Temperature (randomness)',
  temperatureHelp: '0 = always the same answer; higher = more varied.',
  topP: 'Top-p',
  topPHelp: 'Only picks among the likeliest words whose chances add up to p.',
  maxTokens: 'Longest reply (tokens)',
  seed: 'Random seed',
  seedHelp: 'Leave empty for a different answer each time; a number makes answers repeatable.',
  backend: 'Engine',
  backendAuto: 'Automatic',
  backendHelp: 'WebGPU uses the graphics card; the CPU works on every device.',
  clearData: 'Clear all data',
  clearDataHelp: 'Deletes every conversation, the settings and the model kept on this device.',
  clearConfirm:
    'Delete every conversation, the settings and the stored model? This cannot be undone.',
  cleared: 'All data was deleted.',
  sources: 'Word sources',
  sourcePhrasebook: 'phrasebook',
  sourceLexicon: 'lexicon',
  sourceMorphology: 'morphology',
  sourceModel: 'model guess',
  sourceUnknown: 'unknown',
  sourcePunctuation: 'punctuation',
  sourceNote: 'Words marked "model guess" may be wrong; "unknown" words are left as they were.',
  entry: 'entry: {entry}',
  origin: 'from {origin}',
  openChat: 'Open Siger',
  closeChat: 'Close Siger',
};

const TABLES = { id, en };

/** The words for `lang` ('id' or 'en'; anything else is Indonesian). */
export function strings(lang) {
  return TABLES[lang] ?? id;
}

/** `template` with each `{name}` replaced by `values[name]`. */
export function format(template, values = {}) {
  return template.replace(/\{(\w+)\}/g, (whole, name) =>
    name in values ? String(values[name]) : whole,
  );
}
