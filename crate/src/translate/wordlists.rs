//! Small built-in word lists: function words that identify a language, and everyday Indonesian
//! words that rank one lexicon candidate above another.
//!
//! Only words the project is sure of are listed. The Lampung lists hold basic words whose
//! meaning and dialect are not in doubt; the lexicon's own dialect tags add the rest of the
//! evidence at run time ([`super::detect`]).

/// Indonesian function words and pronouns.
#[rustfmt::skip]
pub const INDONESIAN_FUNCTION_WORDS: &[&str] = &[
    "yang", "dan", "di", "ke", "dari", "ini", "itu", "tidak", "saya", "aku", "apa", "adalah",
    "dengan", "untuk", "akan", "pada", "juga", "sudah", "belum", "bisa", "ada", "mereka", "kami",
    "kita", "kamu", "anda", "dia", "atau", "karena", "tetapi", "tapi", "jika", "kalau", "sangat",
    "lebih", "oleh", "dalam", "bagaimana", "siapa", "mengapa", "kenapa", "kapan", "mana", "berapa",
    "sedang", "masih", "harus", "mau", "ingin", "bukan", "jangan", "sini", "sana", "tolong",
    "terima", "kasih", "selamat", "bahasa",
];

/// English function words and pronouns.
pub const ENGLISH_FUNCTION_WORDS: &[&str] = &[
    "the", "a", "an", "and", "or", "is", "are", "was", "were", "be", "of", "to", "in", "on", "at",
    "for", "with", "what", "how", "where", "who", "why", "when", "i", "you", "he", "she", "it",
    "we", "they", "my", "your", "this", "that", "do", "does", "not", "can", "will", "please",
    "hello", "thank", "thanks", "language",
];

/// Basic Lampung words of either dialect: pronouns, "not", "there is", "want", "eat", "what".
pub const LAMPUNG_WORDS: &[&str] = &[
    "nyak", "ikam", "sikam", "sekam", "niku", "gham", "kuti", "mak", "wat", "haga", "mengan",
    "nyo", "ijo", "ino", "tabik",
];

/// Words only the Nyo dialect uses ("nyo" = what; "ijo" = this; "ino" = that; "sekam" = you).
pub const NYO_WORDS: &[&str] = &["nyo", "ijo", "ino", "sekam"];

/// Words only the Api dialect uses ("api" = what; "sija" = this).
pub const API_WORDS: &[&str] = &["api", "sija"];

/// Everyday Indonesian words, most frequent first: when a Lampung word has several Indonesian
/// translations, the everyday one is preferred (`ikam` → `saya`, not `daku`).
#[rustfmt::skip]
pub const EVERYDAY_INDONESIAN: &[&str] = &[
    "yang", "dan", "di", "itu", "dengan", "untuk", "tidak", "ini", "dari", "dalam", "akan", "pada",
    "juga", "saya", "ke", "karena", "bisa", "ada", "mereka", "lebih", "tahun", "sudah", "atau",
    "saat", "oleh", "menjadi", "orang", "kami", "hanya", "kita", "anda", "dia", "apa", "masih",
    "harus", "seperti", "lagi", "banyak", "baru", "satu", "dua", "tiga", "sangat", "mau", "belum",
    "kamu", "aku", "mana", "siapa", "berapa", "bagaimana", "kapan", "mengapa", "kenapa", "sini",
    "situ", "sana", "baik", "besar", "kecil", "hari", "rumah", "makan", "minum", "pergi", "datang",
    "pulang", "sekarang", "nanti", "kemarin", "besok", "waktu", "jam", "anak", "ibu", "bapak",
    "nama", "sekolah", "guru", "teman", "air", "jalan", "kerja", "tahu", "lihat", "dengar",
    "bicara", "bahasa", "punya", "ambil", "beri", "buat", "pakai", "cari", "tunggu", "duduk",
    "tidur", "bangun", "mandi", "belajar", "tanya", "jawab", "bilang", "kata", "ingin", "boleh",
    "perlu", "sedang", "selalu", "pernah", "semua", "setiap", "sendiri", "bersama", "tempat",
    "uang", "beli", "jual", "pasar", "kota", "desa", "kampung", "jauh", "dekat", "panjang",
    "pendek", "tinggi", "rendah", "lama", "mahal", "murah", "bagus", "senang", "sakit", "sehat",
    "lapar", "haus", "capek", "suka", "cinta", "takut", "marah", "malu", "pagi", "siang", "sore",
    "malam", "minggu", "bulan", "laki-laki", "perempuan", "kakak", "adik", "ayah", "kakek",
    "nenek", "keluarga", "saudara", "hujan", "panas", "dingin", "buku", "tulis", "baca", "hitung",
    "nasi", "ikan", "ayam", "sayur", "buah", "kopi", "teh", "susu", "baju", "pintu", "jendela",
    "meja", "kursi", "kamar", "dapur", "sawah", "kebun", "sungai", "laut", "gunung", "hutan",
    "pohon", "bunga", "batu", "tanah", "api", "mata", "tangan", "kaki", "kepala", "hati", "dulu",
    "sekali", "tolong", "maaf", "terima", "kasih",
];

/// Rank of `word` in [`EVERYDAY_INDONESIAN`] (0 = most frequent), if listed.
pub fn everyday_rank(word: &str) -> Option<usize> {
    EVERYDAY_INDONESIAN.iter().position(|w| *w == word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_lower_case_single_words() {
        let lists = [
            INDONESIAN_FUNCTION_WORDS,
            ENGLISH_FUNCTION_WORDS,
            LAMPUNG_WORDS,
            NYO_WORDS,
            API_WORDS,
            EVERYDAY_INDONESIAN,
        ];
        for word in lists.iter().flat_map(|l| l.iter()) {
            assert_eq!(super::super::normalize::key(word), *word);
        }
    }

    #[test]
    fn everyday_words_are_listed_once() {
        for (i, word) in EVERYDAY_INDONESIAN.iter().enumerate() {
            assert_eq!(everyday_rank(word), Some(i), "{word} is listed twice");
        }
    }

    #[test]
    fn dialect_words_do_not_overlap() {
        assert!(NYO_WORDS.iter().all(|w| !API_WORDS.contains(w)));
        assert_eq!(everyday_rank("yang"), Some(0));
        assert!(everyday_rank("saya") < everyday_rank("aku"));
    }
}
