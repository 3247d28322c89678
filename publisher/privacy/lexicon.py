"""Word tables the detector is driven by (data, not code).

All words are lower case. They are small, hand-written lists for how PICs in Kabupaten Tegal
write follow-up notes (Bahasa Indonesia with Javanese), not a general dictionary.
"""

from __future__ import annotations

from typing import Final


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# BPS province codes: the first two digits of a NIK (incl. the 2022 Papua provinces).
PROVINCE_CODES: Final = frozenset(
    {
        "11", "12", "13", "14", "15", "16", "17", "18", "19", "21",
        "31", "32", "33", "34", "35", "36",
        "51", "52", "53",
        "61", "62", "63", "64", "65",
        "71", "72", "73", "74", "75", "76",
        "81", "82",
        "91", "92", "93", "94", "95", "96", "97",
    }
)  # fmt: skip

# Honorifics and titles that introduce a person's name.
HONORIFICS: Final = _words(
    """
    bapak bpk bp pak ibu bu mas mbak mba sdr sdri saudara saudari kyai kiai ustadz ustad
    ustadzah ustazah ust gus mbah bang kak cak kang tn ny nn an alm almh almarhum almarhumah
    dr drg drs dra ir prof hj h kh r rm ra dt tgk
    """
) | frozenset(
    # Javanese and Tegal kin words and honorifics, written before a name in lower case as
    # often as capitalised ("lik Darsono", "mbok Tarsih", "yu Sarni").
    [
        "lik",
        "lek",
        "paklik",
        "bulik",
        "buklik",
        "pakde",
        "pakdhe",
        "bude",
        "budhe",
        "mbok",
        "mbokde",
        "mbokdhe",
        "yu",
        "mbakyu",
        "kangmas",
        "mbah",
        "mbahe",
        "kakek",
        "nenek",
        "om",
        "tante",
        "wak",
        "uwak",
        "nyai",
        "nyi",
        "ki",
        "dik",
        "adik",
        "cak",
    ]
)
# Abbreviations: a dot after them is part of the word ("H. Slamet"); after a full word such as
# "Pak." it ends the sentence, so the next capitalised word is not a name.
HONORIFIC_ABBREVIATIONS: Final = _words(
    "bpk bp sdr sdri ust tn ny nn an alm almh dr drg drs dra ir prof hj h kh r rm ra dt tgk"
)
# Abbreviations that count only with their dot (they are also syllables or initials).
HONORIFIC_DOT_REQUIRED: Final = _words("bp ust tn ny nn an dr drg ir h kh r rm ra dt tgk")

# Labels after which a name follows ("nama pelapor: ...", "atas nama ...").
NAME_LABELS: Final[tuple[str, ...]] = (
    r"nama(?:\s+(?:pelapor|terlapor|lengkap|pengadu|warga))?\s*[:=]",
    r"(?:pelapor|terlapor|pengadu)\s*[:=]",
    r"atas\s+nama",
    r"a\.\s?n\.",
)

# Role words: "Pak Kades", "Bu Bidan" are not names; a capitalised name may follow them
# ("Pak Kades Slamet").
ROLES: Final = _words(
    """
    kades kepala lurah camat bupati wabup wakil sekda sekdes carik kadus kasun bayan rt rw pj
    plt plh ketua sekretaris bendahara kadis kadin kabid kasi kasie kasubag kasubbag kabag
    direktur dirut manajer manager staf staff petugas pegawai pic admin operator polisi
    kapolsek kapolres danramil babinsa bhabinkamtibmas bhabin bidan dokter perawat mantri
    guru kepsek dosen warga pelapor terlapor pengadu pemilik penjual pedagang sopir supir
    tukang satpam linmas hansip mandor kontraktor pengawas pendamping fasilitator anggota
    tim dinas dewan dprd gubernur presiden menteri penghulu modin kaur kadus kapten kasat
    kanit koordinator korlap ketua pengurus pengelola penyuluh ppl kuwu kuwu lurah sekcam
    bupati pjs direktur ustadz kyai imam takmir marbot pembina pengasuh pendeta romo pastor
    """
)

# Roles after which a private person's name often follows ("Pak RT Warsito", "Bu Kadus Sarni",
# "Bidan Tarsih"). Public offices (bupati, camat, kades, ...) are left out: a name after them
# is an official's, published on purpose (a reviewer decides).
NAME_ROLES: Final = _words(
    """
    rt rw kadus kasun bayan modin carik kaur bidan mantri guru ustadz ustad kyai kiai
    linmas hansip satpam sopir supir tukang mandor pemilik penjual pedagang takmir marbot
    """
)

# Words after which a capitalised word is a person ("rumahnya Warsito", "istrinya Sumiyati").
POSSESSIVE_WORDS: Final = _words(
    """
    rumah rumahnya rmh istri istrinya suami suaminya anak anaknya bojo bojone adik adiknya
    kakak kakaknya menantu menantunya mertua mertuanya cucu cucunya tetangga tetangganya
    keponakan keponakannya ortu ortunya
    """
)

# Places of Kabupaten Tegal and nearby: a capitalised word after a role or a kin word that is
# one of them names a place ("Pak Kadus Krajan", "Gunung Slamet"), not a person.
PLACES: Final = _words(
    """
    adiwerna balapulang bojong bumijawa dukuhturi dukuhwaru jatinegara kedungbanteng kramat
    lebaksiu margasari pagerbarang pangkah slawi suradadi talang tarub warureja tegal brebes
    pemalang kalisapu procot dukuhwringin pesarean kudaile trayeman pakembaran dukuhsalam
    kagok balamoa lebeteng pagiyanten kemantran harjosari kendayakan mindaka kaladawa
    penusupan kajen dampyak grobog banjaran guci kalisoka
    """
)

# Words before a case name that make it a common word or a place, not the person
# ("kerja bakti", "Gunung Slamet", "Tirta Ayu", "Sinar Jaya").
NOT_NAME_BEFORE: Final = _words(
    """
    kerja gunung kali sungai tirta sinar toko warung pasar program budi desa dusun dukuh
    jalan jl gang gg perum masjid musholla mushola musala sd smp sma mi mts cv pt ud
    kampung bukit curug sendang makam taman lapangan
    """
)

# Words that never start a name even when capitalised after an honorific.
NOT_NAMES: Final = ROLES | _words(
    """
    dan atau yang di ke dari sudah udah telah belum akan sedang masih tidak tak gak nggak
    bisa dapat mohon minta terima kasih makasih trims selamat pagi siang sore malam atas untuk
    dengan serta juga saja aja sendiri semua para sekalian kami kita saya aku anda beliau dia
    ia mereka ini itu tersebut tadi kemarin besok hari sekarang langsung segera agar supaya
    karena sebab bahwa jika kalau bila ketika saat setelah sebelum sejak hingga sampai lalu
    kemudian selanjutnya namun tetapi tapi ya iya ok oke baik siap sip nggih njih inggih
    mboten ngapunten matur nuwun sugeng monggo mangga punten salam wassalam dimohon harap
    tolong ada punya ingin mau perlu harus hanya pun lah kah dong deh sih kok nah wah dalam
    pada oleh bagi tentang terkait perihal mengenai sebagai selaku seperti sesuai lebih kurang
    sangat sekali paling rombongan beserta bersama dkk cs yth terhormat negara kota
    hamil menyusui rumah tangga muda tua lansia balita anak istri suami keluarga kawin
    senin selasa rabu kamis jumat jum'at sabtu minggu ahad januari februari maret april mei
    juni juli agustus september oktober november desember tahun bulan pekan jam pukul wib
    bapak ibu pak bu mas mbak sdr saudara saudari nama pelapor terlapor desa kelurahan
    kecamatan kabupaten kab kec kel jalan jl gang gg rt rw no nomor blok dusun perum
    tegal slawi indonesia lapor laporan pengaduan aduan keluhan tindak lanjut status selesai
    alamat hp wa telp telepon nik kk email rekening kendaraan motor mobil pkk pns asn tni polri
    bumdes bpd lpmd karang taruna posyandu puskesmas
    """
)

# Frequent words of follow-up notes. A lower-case word after an honorific that is listed here
# is not taken as a name, and a case name is matched with typo tolerance only against words
# that are not listed here (so "putra" is not read as a typo of "Putri").
COMMON_WORDS: Final = NOT_NAMES | _words(
    """
    air bersih pipa bocor meteran pdam tirta ayu lampu jalan rusak berlubang aspal jembatan
    saluran selokan drainase sampah banjir genangan pohon tumbang listrik pju tiang kabel
    sekolah puskesmas posyandu pasar kantor balai gedung lapangan makam masjid musala mushola
    irigasi sawah sungai kali tanggul talud trotoar got gorong parit sumur tandon pompa
    perbaikan pemeliharaan pembersihan pengecekan pengerjaan penanganan pemasangan
    pembangunan pengaspalan penambalan pengurukan pemangkasan penebangan pengangkutan
    diperbaiki dibersihkan dicek dipasang diganti ditambal diaspal diangkut ditangani
    dikerjakan diselesaikan ditindaklanjuti dilaporkan disampaikan dikoordinasikan diproses
    sudah selesai normal kembali lancar menyala mengalir berfungsi baik bagus rapi aman
    warga masyarakat petugas tim lokasi titik wilayah area sekitar depan belakang samping
    utara selatan timur barat tengah atas bawah dekat ujung pinggir sepanjang meter km
    kilometer ruas jalur akses arah menuju simpang perempatan pertigaan bundaran
    bantuan bansos blt pkh sembako beras dana anggaran biaya gratis pungli pungutan
    layanan pelayanan administrasi surat dokumen berkas ktp akta sertifikat izin
    kegiatan program proyek pekerjaan hasil foto video dokumentasi bukti keterangan informasi
    terima kasih respon tanggapan jawaban konfirmasi koordinasi survei survey verifikasi
    pengecekan peninjauan kunjungan cek lapangan langsung segera cepat lambat lama baru
    sakit makan dinas adat susun singgah potong
    sosial gotong royong kerja raya utama sejahtera wetan kulon lor kidul krajan
    besar kecil panjang pendek tinggi rendah banyak sedikit semua setiap masing tiap
    pemerintah pemkab pemdes kabupaten provinsi pusat daerah negeri swasta umum khusus
    """
)

# Everyday words that are also common given names: no typo tolerance against them (so "putra"
# is not read as a typo of "Putri"), but after an honorific they are names ("bu dewi").
NAME_LIKE_WORDS: Final = _words(
    """
    bakti putra putri dewi indah cahaya sari bunga mawar melati kenanga anggrek ayu permai
    asri makmur jaya mulya mulia slamet budi wulan bintang rahayu lestari santoso setia
    hari juli bagus utama tirta
    """
)

# (letters before, letters after) pairs that have a plate's shape but are not plates:
# "RT 03 RW 05", "RP 500 RB". Other letters are not excluded: plates with unusual regional
# codes exist (and Faker makes up any two letters).
NOT_PLATES: Final = frozenset(
    {("RT", "RW"), ("RW", "RT"), ("RP", "RB"), ("RP", "JT"), ("RP", "M"), ("RP", "K")}
)

# Regional letter codes of Indonesian vehicle plates (Korlantas): a lower-case or dashed
# "g-1234-ab" is a plate only when its first letters are one of them.
PLATE_REGIONS: Final = _words(
    """
    a aa ab ad ae ag b ba bb bd be bg bh bk bl bm bn bp d da db dc dd de dg dh dk dl dm dn dp
    dr ds dt dw e ea eb ed f g h k kb kh kt ku l m n p pa pb pg pt r s t w z
    """
)

# Parts of a person's name on the case record that are not the person's name.
NAME_PARTICLES: Final = _words(
    """
    bin binti dr drg drs dra ir h hj kh r rm ra dt tgk prof sutan cut puti st s m mt mm
    """
)

BANKS: Final[tuple[str, ...]] = (
    "bri", "bni", "bca", "mandiri", "bsi", "btn", "bpd", "bank jateng", "jateng", "cimb",
    "cimb niaga", "danamon", "permata", "muamalat", "bjb", "ocbc", "panin", "btpn", "jenius",
    "seabank", "bank",
)  # fmt: skip
