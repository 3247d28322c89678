"""A seeded generator of complaints in the real register (issue #17).

Written by us: templates, vocabularies and seeded randomness, no copied texts. It was shaped by
reading how citizens write to public complaint services (SP4N-LAPOR! reports and the
Purbalingga "Lapor Mas Bup" complaints, read only, never copied or committed):

* lengths from one line to several paragraphs (median about 30 words, a tail past 150), built
  from an opening, one or more body sentences, elaborations and a closing;
* the channels' styles: WhatsApp-like (lower case, ``yg``/``dgn``/``sdh``, no punctuation),
  the app's form (``Lokasi: ... Keluhan: ...``) and formal letters (``Yth. Bapak Bupati``);
* conflict told without conflict words (a car parked before a numbered house, a warkop open
  at night), accusations tacked onto the end of a general complaint, religion (toa, permits
  for places of worship, aliran, SARA), group protests, family, youth gangs, inherited land;
* general complaints that mention neighbours, owners, money and RT/RW neutrally.

People are never named: roles and initials only (``Pak RT``, ``Bu W``), so no real person
can be in the data. Labels follow ``classifiers/LABELLING.md``.

``generate(n, seed, id_prefix)`` returns ``LabelledExample`` objects; ``python -m classifiers
generate`` writes ``classifiers/data/register.jsonl`` (training, validation and held-out
splits) and ``classifiers/data/checkset.jsonl`` (the frozen check set: another seed and the
held-out style, used only by the promotion guard and evaluation).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

from classifiers.corpus import Label, LabelledExample

REGISTER_SEED = 17_2026
CHECKSET_SEED = 17_9091
REGISTER_SIZE = 5200
CHECKSET_SIZE = 600

KECAMATAN = [
    "Adiwerna",
    "Balapulang",
    "Bojong",
    "Bumijawa",
    "Dukuhturi",
    "Dukuhwaru",
    "Jatinegara",
    "Kedungbanteng",
    "Kramat",
    "Lebaksiu",
    "Margasari",
    "Pagerbarang",
    "Pangkah",
    "Slawi",
    "Suradadi",
    "Talang",
    "Tarub",
    "Warureja",
]
DESA = [
    "Kemantran",
    "Pesarean",
    "Lemahduwur",
    "Kalisapu",
    "Procot",
    "Kagok",
    "Dampyak",
    "Banjaran",
    "Pacul",
    "Dukuhsalam",
    "Karangmangu",
    "Kajen",
    "Tonggara",
    "Jejeg",
    "Kaligayam",
    "Pesayangan",
    "Harjosari",
    "Kupu",
    "Mejasem",
    "Grobog",
    "Penusupan",
    "Kertayasa",
    "Bengle",
    "Tuwel",
    "Danasari",
    "Pedagangan",
    "Kudaile",
    "Yamansari",
    "Sidaharja",
]
STREETS = (
    "Jl. Raya",
    "Jl. Projosumarto",
    "Jl. Ahmad Yani",
    "Jl. Diponegoro",
    "Gg. Melati",
    "Gang Mawar",
)


def _place(r: random.Random) -> str:
    kind = r.random()
    if kind < 0.35:
        return f"Desa {r.choice(DESA)} Kec. {r.choice(KECAMATAN)}"
    if kind < 0.55:
        rt, rw = r.randint(1, 12), r.randint(1, 8)
        return f"{r.choice(STREETS)} {r.choice(DESA)} RT {rt:02d}/RW {rw:02d}"
    if kind < 0.75:
        return f"dukuh {r.choice(DESA).lower()} {r.choice(KECAMATAN).lower()}"
    return f"{r.choice(DESA)}"


def _house(r: random.Random) -> str:
    return r.choice(
        [
            f"rumah no. {r.randint(1, 60)}",
            f"rumah nomor {r.randint(1, 60)}",
            "rumah sebelah",
            "rumah depan",
            "rumah pojok gang",
            f"rumah cat hijau no {r.randint(1, 60)}",
            "rumah samping musholla",
        ]
    )


def _initial(r: random.Random) -> str:
    return r.choice(["Pak", "Bu", "pak", "bu", "Mas", "mbak"]) + " " + r.choice("ABDHKMRSTWY")


# -- general bodies: public infrastructure and services, neighbours and money neutral -------

GENERAL: dict[str, list[str]] = {
    "jalan": [
        "jalan {place} rusak parah banyak lubang, kalau hujan jadi kubangan",
        "aspal jalan menuju {place} mengelupas sepanjang kurang lebih {n}00 meter",
        "jembatan kecil di {place} pegangannya sudah patah, anak sekolah lewat situ tiap hari",
        "jalan kabupaten di {place} bergelombang, sudah ada {n} pengendara jatuh bulan ini",
        "trotoar dekat pasar {place} ambles dan belum diperbaiki",
        "jalan depan masjid di {place} berlubang, jamaah yang pulang malam sering terperosok",
        "akses jalan ke musholla dan makam di {place} licin dan berlumpur",
    ],
    "pju": [
        "lampu PJU di {place} mati sudah {n} minggu, malam gelap sekali",
        "lampu jalan di tikungan {place} kedip-kedip lalu mati, rawan kecelakaan",
        "PJU di depan gereja dan sekolah di {place} mati, jalan jadi gelap",
        "tiang lampu penerangan jalan di {place} miring hampir roboh",
    ],
    "drainase": [
        "saluran air di {place} mampet penuh lumpur, tiap hujan air naik ke jalan",
        "gorong-gorong di {place} ambrol sehingga air meluap ke rumah warga",
        "selokan depan sd di {place} tersumbat sampah plastik dan berbau",
    ],
    "banjir": [
        "tiap hujan deras {place} kebanjiran setinggi lutut karena tanggul sungai jebol",
        "sungai di {place} dangkal penuh sedimen, mohon dinormalisasi sebelum musim hujan",
    ],
    "sampah": [
        "tumpukan sampah di TPS {place} sudah {n} hari tidak diangkut, baunya sampai ke rumah",
        "truk sampah tidak lewat {place} sejak awal bulan, sampah menumpuk di pinggir jalan",
        "orang lewat membuang sampah di pinggir jalan {place}, mohon dipasang papan larangan",
    ],
    "air": [
        "air PDAM di {place} mati sudah {n} hari, kami harus beli air galon",
        "air dari Tirta Ayu di {place} keruh kecoklatan dan berbau",
        "tagihan air bulan ini naik padahal aliran air di {place} sering mati",
    ],
    "irigasi": [
        "saluran irigasi ke sawah di {place} kering, petani tidak bisa tanam",
        "pintu air irigasi di {place} rusak sehingga air tidak sampai ke sawah bawah",
    ],
    "fasum": [
        "toilet umum di pasar {place} rusak dan kotor sekali",
        "taman di alun-alun {place} lampunya mati dan ayunan anak rusak",
        "atap pasar {place} bocor, pedagang basah kalau hujan",
    ],
    "adminduk": [
        "sudah {n} minggu mengurus KTP elektronik di {place} belum jadi juga, katanya blanko habis",
        "antrian di Disdukcapil sangat panjang, sistem online sering error",
        "pengurusan akta kelahiran anak saya belum selesai padahal berkas sudah lengkap",
    ],
    "sekolah": [
        "atap ruang kelas SD negeri di {place} bocor dan plafonnya jebol",
        "bangku dan meja di SMP di {place} banyak yang patah, murid duduk di lantai",
    ],
    "kesehatan": [
        "antrian di puskesmas {place} sangat lama, obat sering kosong",
        "ambulans desa di {place} rusak sudah lama belum diperbaiki",
        "posyandu di {place} tidak ada timbangan bayi yang layak",
        "dokter di puskesmas {place} hanya ada dua, pasien menunggu sampai siang",
        "pelayanan bidan desa di {place} perlu tambahan alat, mohon dibantu",
    ],
    "transportasi": [
        "angkot jurusan {place} jarang lewat lagi, warga susah ke pasar",
        "rambu lalu lintas di perempatan {place} roboh ditabrak truk",
        "lampu lalu lintas di {place} mati sehingga macet tiap pagi",
    ],
    "lingkungan": [
        "debu dari proyek jalan di {place} sangat tebal, warga batuk-batuk",
        "asap dari pembakaran sampah di TPA dekat {place} masuk ke rumah warga",
    ],
    "informasi": [
        "mau tanya syarat mengurus surat pindah dan berapa lama prosesnya",
        "mohon informasi kapan tunjangan sertifikasi guru triwulan ini dicairkan",
        "bagaimana cara mendaftar bantuan PKH untuk ibu saya yang sudah lansia",
        "apakah dana desa boleh dipakai untuk membangun jalan lingkungan di {place}",
        "kartu KIS saya nonaktif, bagaimana cara mengaktifkan kembali",
        "listrik di {place} padam sejak {n} jam lalu, sudah lapor PLN belum menyala",
        "mohon info lowongan kerja dan pelatihan untuk pemuda di {place}",
        "bantuan rumah tidak layak huni yang diajukan desa {n} tahun lalu belum turun",
        "website perizinan online tidak bisa dibuka sejak kemarin",
        "pedagang berjualan di trotoar dekat alun-alun, pejalan kaki terpaksa turun ke jalan",
    ],
    "layanan": [
        "website pendaftaran online kabupaten sering tidak bisa dibuka",
        "mohon informasi jadwal vaksinasi dan pendaftaran sekolah untuk warga {place}",
        "sinyal internet di {place} sangat lemah, anak sekolah kesulitan belajar",
    ],
}

# Neutral mentions of neighbours, owners, money and RT/RW, added to general complaints.
NEUTRAL_EXTRAS = [
    "kami sudah lapor ke pak RT dan beliau menyarankan lapor lewat sini",
    "tetangga saya kemarin jatuh dari motor karena lubang itu",
    "warga dan tetangga sekitar sudah kerja bakti tapi tidak cukup",
    "pemilik lahan di samping jalan sudah setuju kalau tanahnya dipakai untuk saluran",
    "warga sudah iuran Rp 50.000 per rumah untuk menambal sementara",
    "pak RW sudah mengajukan lewat musrenbang tahun lalu",
    "ketua RT kami sudah membantu mendata rumah yang terdampak",
    "pemilik warung di pinggir jalan juga ikut kena dampaknya",
    "saya dan tetangga harus memutar jauh setiap hari",
    "biaya perbaikan katanya sudah masuk anggaran desa tahun ini",
    "anak-anak tetangga sering main di situ jadi berbahaya",
    "pak kades sudah meninjau tapi katanya wewenang kabupaten",
    "kami bersedia gotong royong kalau diberi material",
    "pemilik toko bangunan dekat situ sudah menyumbang pasir",
    "uang kas RT sudah habis untuk perbaikan kemarin",
    "tetangga saya yang lansia kesulitan lewat",
    "harga air galon Rp 5 ribu jadi pengeluaran kami bertambah",
]

# -- conflict bodies by kind ---------------------------------------------------------------

CONFLICT: dict[str, list[str]] = {
    # disputes with an identifiable neighbour/household/business told without conflict words
    "tetangga": [
        "mobil dari {house} selalu diparkir di depan rumah saya, saya tidak bisa keluar",
        "warga {house} membangun teras sampai memakan setengah gang, gerobak tidak bisa lewat",
        "penghuni {house} membakar sampah tiap sore, asapnya masuk ke kamar anak saya",
        "pohon mangga milik {house} dahannya menjorok ke atap rumah saya dan daunnya masuk talang",
        "kambing milik {initial} dilepas dan makan tanaman di halaman rumah saya tiap hari",
        "ayam dan bebek dari {house} buang kotoran di teras saya",
        "{initial} memasang pagar sampai menutup saluran air di belakang rumah saya",
        "air limbah cucian dari {house} dialirkan ke pekarangan saya",
        "{house} memutar musik keras sampai tengah malam hampir tiap hari",
        "talang air dari {house} diarahkan ke tembok rumah saya sampai retak dan lembab",
        "anjing peliharaan {house} dilepas dan sering mengejar anak-anak yang lewat",
        "{initial} menaruh material bangunan di depan rumah saya sudah {n} bulan tidak diangkat",
        "kandang ayam milik {initial} persis di samping dapur saya, baunya tidak tertahan",
    ],
    "usaha": [
        "warkop di depan {house} buka sampai jam 3 pagi, ramai dan pakai karaoke",
        "bengkel las milik {initial} di sebelah rumah bising sekali dari pagi sampai malam",
        "warung milik {initial} menaruh meja kursi di bahu jalan sampai jalan menyempit",
        "usaha tahu milik {initial} membuang limbah ke selokan depan rumah warga, baunya busuk",
        "toko bangunan {initial} bongkar muat truk tiap malam di depan {house}",
        "peternakan ayam milik {initial} dekat pemukiman, lalat masuk ke rumah-rumah",
        "kafe di {place} milik {initial} memutar musik keras tiap malam minggu",
        "penggilingan padi milik {initial} debunya masuk ke rumah warga",
    ],
    # accusations against an identifiable person
    "bansos": [
        "pak RT {n} hanya memasukkan saudaranya sendiri ke daftar penerima bansos",
        "data penerima BLT di {place} diatur ketua RW, yang mampu dapat yang miskin tidak",
        "beras bantuan dipotong {initial} perangkat desa, warga cuma dapat separuh",
        "pak RT minta Rp 20.000 tiap pencairan PKH, kalau tidak bayar dicoret",
    ],
    "oknum": [
        "dr. {letter} di puskesmas {place} membentak pasien lansia dan menolak memeriksa",
        "petugas {initial} di kantor kecamatan minta uang rokok supaya berkas cepat",
        "guru {initial} di SD {place} memukul murid pakai penggaris sampai memar",
        "jukir di depan minimarket {place} minta Rp 5.000 dan marah kalau tidak dikasih",
        "satpam puskesmas {place} kasar dan mengusir warga yang antri",
        "bidan desa {initial} minta bayaran padahal pakai BPJS",
        "pemilihan ketua RT kemarin diatur, yang menang sudah ditentukan pak RW",
        "ketua RT memungut iuran keamanan Rp 30.000 tanpa pernah ada laporan uangnya",
        "pak RW memagari jalan setapak umum untuk kebunnya sendiri",
        "oknum perangkat desa {initial} menjual tanah kas desa",
        "guru honorer {initial} minta uang ke wali murid untuk nilai rapor",
        "petugas parkir di pasar {place} memungut dua kali dan memaki pembeli",
        "petugas pendaftaran di puskesmas {place} ketus dan membentak lansia yang bertanya",
        "perawat IGD di RSUD hanya melihat anak saya kejang tanpa menolong",
        "dokter spesialis di poli RS datang jam 10 padahal pasien antri sejak jam 6",
        "pegawai loket {n} di kantor dinas yang perempuan tidak ramah dan marah-marah",
        "kepala sekolah SD {place} tidak mau terbuka soal dana BOS kepada wali murid",
        "staf kelurahan menolak melayani dan menyuruh saya bolak-balik tanpa alasan",
        "sopir angkot jurusan {place} merokok di dalam mobil dan ugal-ugalan",
    ],
    "pekerja": [
        "PT {company} di {place} membayar THR hanya separuh dan gaji selalu terlambat",
        "saya dikeluarkan dari PT {company} setelah mengajukan cuti melahirkan, gaji belum dibayar",
        "karyawan PT {company} dipaksa membuat surat pengunduran diri supaya tidak dapat pesangon",
        "CV {company} menggaji karyawan di bawah UMK padahal sudah kerja dua tahun",
        "iuran BPJS Ketenagakerjaan karyawan PT {company} tidak dibayarkan perusahaan",
        "LPK {company} menjanjikan kerja ke luar negeri tapi siswa ditahan berbulan-bulan",
        "toko {company} ambil barang dari kami untuk proyek sekolah dan belum membayar",
    ],
    "pungli": [
        "untuk surat pengantar di balai desa {place} diminta Rp 100 ribu tanpa kuitansi",
        "sekdes {place} minta uang pelicin untuk pembuatan sertifikat PTSL",
        "pungli di pintu masuk pasar {place} oleh orang suruhan {initial}",
        "SD negeri {n} di {place} menarik uang Rp 650.000 per anak untuk beli bangku",
        "di SMP negeri {place} masih dipungut uang gedung lebih dari satu juta per anak",
        "guru di SD {place} minta jatah dari dana PIP murid dengan alasan sudah membantu",
    ],
    "danadesa": [
        "anggaran dana desa untuk jalan di {place} tidak jelas, kades malah beli mobil baru",
        "pembangunan talud dana desa di {place} asal-asalan, bendahara desa tidak mau terbuka",
    ],
    "sara": [
        "toa musholla di {place} terlalu keras dari jam 3 pagi, yang sakit tidak bisa istirahat",
        "suara pengeras masjid dekat {house} dinyalakan sangat keras untuk pengajian sampai malam",
        "izin pendirian gereja di {place} ditolak sekelompok warga dan mereka mengancam",
        "ada pengajian aliran lain di rumah {initial}, warga resah dan mau membubarkan",
        "sekelompok orang menyebut warga pendatang kafir dan menyuruh pindah dari {place}",
        "ada selebaran yang menghina warga keturunan cina di pasar {place}",
        "warga ahmadiyah di {place} dilarang beribadah dan rumahnya dilempari",
        "di grup WA desa ada yang menulis agama lain sesat dan harus diusir",
        "pengurus masjid {place} melarang jamaah dari ormas lain ikut salat",
        "tetangga sering mengejek keluarga saya karena kami beda agama",
        "ada spanduk yang menghasut agar warga tidak menjual tanah ke orang beda agama",
        "orang-orang bilang suku tertentu di {place} tukang tipu dan harus dihabisi",
        "ada akun yang menyebar tulisan bahwa orang {group} itu {slur} dan harus diusir dari tegal",
        "{initial} di pengajian bilang umat {faith} itu {slur}, warga jadi saling curiga",
        "spanduk di {place} bertulisan tolak {group} dan {faith}, ini memancing keributan",
        "di grup WA ada yang menghina {faith} dan menyebut pemeluknya {slur}",
        "anak saya diejek {slur} di sekolah karena keluarga kami {faith}",
        "warga {group} di {place} diancam rumahnya dibakar kalau tidak pindah",
        "pembangunan {worship} di {place} diprotes dan pekerjanya diusir",
        "ceramah di {place} isinya mengkafirkan orang yang beda aliran",
        "ada yang bilang pemimpin dari {group} itu antek asing dan harus dilawan",
        "di facebook ada postingan dasar {group} {slur}, tidak pantas tinggal di sini",
        "akun itu menulis umat {faith} {slur} dan tempat ibadahnya harus dibubarkan",
        "orang {group} dibilang biang kerusuhan, warga diajak mengusir mereka",
        "kelompok {initial} menyebarkan ajaran bahwa {faith} sesat dan halal diperangi",
        "tolong tindak yang menghina nabi dan kitab suci {faith} di grup warga",
        "pengurus {worship} di {place} dituduh kristenisasi dan diancam diserbu",
    ],
    "antardesa": [
        "warga desa {desa} akan demo ke balai desa kalau tuntutan soal tanah bengkok ditolak",
        "ratusan warga berencana menggeruduk kantor kecamatan soal hasil pilkades",
        "warga {desa} dan {desa2} saling ancam soal batas desa dan air irigasi",
        "massa mengancam membakar kantor desa {desa} karena kecewa",
    ],
    "tawuran": [
        "geng motor pemuda {desa} sering konvoi knalpot brong dan menantang pemuda desa sebelah",
        "anak-anak muda nongkrong sambil mabuk di pos ronda {place} sampai subuh",
        "kemarin malam ada tawuran pelajar di jalan {place}, ada yang bawa celurit",
        "kelompok pemuda {desa} memalak anak sekolah yang lewat",
    ],
    "kdrt": [
        "suami saya tidak menafkahi sudah {n} bulan dan sering memukul",
        "kakak ipar saya mau cerai tapi suaminya membawa anak dan tidak boleh ditemui",
        "{initial} menelantarkan anaknya, anak-anak sering tidak makan",
        "tetangga saya sering bertengkar dan istrinya berteriak minta tolong tiap malam",
    ],
    "warisan": [
        "tanah warisan almarhum bapak dikuasai kakak saya sendiri dan sertifikatnya disembunyikan",
        "adik ipar saya menjual sawah warisan tanpa sepengetahuan ahli waris lain",
        "rumah peninggalan orang tua ditempati paman dan kami tidak boleh masuk",
    ],
    "tanah": [
        "patok batas tanah saya digeser {initial} sejauh satu meter",
        "tanah saya di {place} tiba-tiba disertifikatkan atas nama orang lain",
        "{initial} membangun rumah di atas sebagian tanah saya tanpa izin",
    ],
    "utang": [
        "{initial} meminjam uang Rp 5 juta dua tahun lalu dan sekarang tidak mau membayar",
        "uang arisan yang dikelola {initial} dibawa kabur, anggotanya puluhan orang",
    ],
    "rentenir": [
        "bank plecit menagih ke rumah tiap hari dengan bunga 30 persen sebulan",
        "penagih pinjol menyebar foto saya ke kontak keluarga",
    ],
    "ancaman": [
        "saya diancam akan dibacok {initial} kalau terus melapor",
        "setelah saya lapor soal jalan, rumah saya dilempari batu oleh orang suruhan",
    ],
    "asusila": [
        "ada rumah di {place} yang dipakai untuk judi dan mabuk tiap malam",
        "{initial} sering menggoda dan memegang anak-anak perempuan yang lewat",
        "warung remang-remang di {place} menjual miras dan ada wanita penghibur",
    ],
}

# The PIC's notes: mostly neutral for both labels, so the label cannot be read from them.
NOTES_NEUTRAL = [
    "Sudah ditindaklanjuti dan dikoordinasikan dengan pihak terkait.",
    "Laporan telah diterima dan diteruskan ke instansi terkait.",
    "Petugas sudah turun ke lokasi dan melakukan pengecekan.",
    "Sudah dilakukan peninjauan lapangan bersama perangkat desa.",
    "Terima kasih atas laporannya, sudah ditangani.",
    "Sudah ditindaklanjuti oleh tim kecamatan.",
    "Permasalahan sudah diselesaikan, terima kasih.",
]
NOTES_GENERAL = [
    "Tim UPTD sudah memperbaiki kerusakan dan membersihkan lokasi.",
    "DLH sudah mengangkut sampah dan menambah jadwal pengangkutan.",
    "Lampu sudah diganti oleh petugas Dishub.",
    "Perbaikan masuk anggaran perubahan tahun ini.",
]
NOTES_CONFLICT = [
    "Kedua pihak sudah dipertemukan di balai desa dan sepakat berdamai.",
    "Sudah dilakukan mediasi oleh kepala desa dan Bhabinkamtibmas.",
    "Laporan diteruskan ke Inspektorat untuk pemeriksaan.",
    "Warga yang bersangkutan sudah diberi teguran dan pembinaan.",
]

OPENINGS_WA = [
    "assalamualaikum pak",
    "mohon maaf mengganggu",
    "pak bupati tolong",
    "min mau lapor",
    "selamat siang",
    "",
    "",
]
CLOSINGS_WA = [
    "mohon segera ditindaklanjuti",
    "tolong pak secepatnya",
    "trims",
    "makasih",
    "mohon perhatiannya",
    "",
    "",
]
ELABORATIONS = [
    "sudah berkali-kali saya sampaikan tapi belum ada perubahan",
    "kejadian ini sudah berlangsung sejak {n} bulan yang lalu",
    "kami warga merasa sangat dirugikan",
    "saya sudah mencoba bicara baik-baik tapi tidak ditanggapi",
    "apalagi kalau musim hujan keadaannya semakin parah",
    "saya punya anak kecil dan orang tua yang sudah sepuh di rumah",
    "setiap hari saya lewat situ untuk berangkat kerja",
    "kami berharap pemerintah kabupaten bisa membantu",
    "kalau dibiarkan terus takutnya ada kejadian yang tidak diinginkan",
    "saya lampirkan foto sebagai bukti",
    "mohon dicek langsung ke lapangan",
    "sebelumnya sudah pernah dilaporkan lewat aplikasi tapi statusnya masih diproses",
]

_WA_SUBS = {
    "yang": "yg",
    "dengan": "dgn",
    "sudah": "sdh",
    "tidak": "gak",
    "sekali": "bgt",
    "karena": "krn",
    "saya": "sy",
    "sampai": "sampe",
    "untuk": "utk",
    "tolong": "tlg",
    "bapak": "bpk",
}


GROUPS = ("cina", "keturunan", "pendatang", "arab", "jawa", "batak", "madura", "aseng", "pribumi")
FAITHS = ("kristen", "katolik", "islam", "hindu", "budha", "syiah", "ahmadiyah", "nasrani")
SLURS = ("kafir", "sesat", "penipu", "antek PKI", "kadrun", "penjajah", "laknat", "murtad")
WORSHIP = ("gereja", "masjid", "musholla", "vihara", "klenteng", "rumah ibadah")
COMPANIES = (
    "Sinar Jaya",
    "Maju Makmur",
    "Cahaya Abadi",
    "Sentosa Garmen",
    "Mitra Karya",
    "Wig Indah",
)


def _fill(template: str, r: random.Random) -> str:
    desa, desa2 = r.sample(DESA, 2)
    return template.format(
        group=r.choice(GROUPS),
        faith=r.choice(FAITHS),
        slur=r.choice(SLURS),
        worship=r.choice(WORSHIP),
        company=r.choice(COMPANIES),
        place=_place(r),
        house=_house(r),
        initial=_initial(r),
        letter=r.choice("ABDHKMRSTWY"),
        desa=desa,
        desa2=desa2,
        n=r.randint(2, 9),
    )


def _whatsapp(text: str, r: random.Random) -> str:
    words = []
    for word in text.lower().replace(",", "").replace(".", "").split():
        words.append(_WA_SUBS.get(word, word) if r.random() < 0.7 else word)
    return " ".join(words)


def _sentence(text: str) -> str:
    text = text.strip()
    return text[0].upper() + text[1:] + ("" if text.endswith((".", "?", "!")) else ".")


def _render(sentences: list[str], style: str, r: random.Random, topic_place: str) -> str:
    if style == "wa":
        parts = [r.choice(OPENINGS_WA), *sentences, r.choice(CLOSINGS_WA)]
        return _whatsapp(" ".join(p for p in parts if p), r)
    if style == "form":
        body = " ".join(_sentence(s) for s in sentences)
        hope = _sentence(r.choice(CLOSINGS_WA) or "segera ditangani")
        return f"Lokasi: {topic_place}\nKeluhan: {body}\nHarapan: {hope}"
    opening = (
        "Yth. Bapak Bupati Tegal\nDengan hormat,\n"
        f"Saya warga {topic_place} ingin menyampaikan pengaduan sebagai berikut."
    )
    paragraphs = []
    chunk: list[str] = []
    for sentence in sentences:
        chunk.append(_sentence(sentence))
        if len(chunk) >= r.randint(2, 4):
            paragraphs.append(" ".join(chunk))
            chunk = []
    if chunk:
        paragraphs.append(" ".join(chunk))
    closing = (
        "Demikian pengaduan ini saya sampaikan, atas perhatian dan tindak lanjutnya saya "
        "ucapkan terima kasih.\nHormat saya, warga"
    )
    return "\n\n".join([opening, *paragraphs, closing])


def _length_plan(r: random.Random) -> int:
    """How many extra sentences: most complaints short, a long tail of long letters."""
    roll = r.random()
    if roll < 0.5:
        return 0
    if roll < 0.8:
        return r.randint(1, 2)
    if roll < 0.94:
        return r.randint(3, 6)
    return r.randint(8, 16)


def _one(index: int, r: random.Random, id_prefix: str) -> LabelledExample:
    style = r.choices(["wa", "form", "letter"], weights=[6, 3, 1])[0]
    place = _place(r)
    label: Label = "conflict" if r.random() < 0.5 else "general"
    extras = _length_plan(r)
    sentences: list[str] = []
    if label == "general":
        topic = r.choice(list(GENERAL))
        sentences.append(_fill(r.choice(GENERAL[topic]), r))
        pool: list[Callable[[], str]] = [
            lambda: _fill(r.choice(ELABORATIONS), r),
            lambda: r.choice(NEUTRAL_EXTRAS),
            lambda: _fill(r.choice(GENERAL[topic]), r),
        ]
        for _ in range(extras):
            sentences.append(r.choice(pool)())
        if r.random() < 0.45:
            sentences.insert(r.randint(1, len(sentences)), r.choice(NEUTRAL_EXTRAS))
        reason = f"keluhan umum: {topic}"
    else:
        topic = r.choice(list(CONFLICT))
        conflict_sentence = _fill(r.choice(CONFLICT[topic]), r)
        tacked = topic in {"oknum", "bansos", "pungli", "danadesa"} and r.random() < 0.5
        if tacked or r.random() < 0.3:
            # A general complaint first, the conflict sentence tacked on (often at the end).
            general_topic = r.choice(list(GENERAL))
            sentences.append(_fill(r.choice(GENERAL[general_topic]), r))
            for _ in range(extras):
                sentences.append(
                    r.choice([_fill(r.choice(ELABORATIONS), r), r.choice(NEUTRAL_EXTRAS)])
                )
            where = len(sentences) if r.random() < 0.6 else r.randint(1, len(sentences))
            sentences.insert(where, conflict_sentence)
        else:
            sentences.append(conflict_sentence)
            for _ in range(extras):
                sentences.append(_fill(r.choice(ELABORATIONS), r))
            if r.random() < 0.3:
                sentences.append(_fill(r.choice(CONFLICT[topic]), r))
        reason = f"rawan konflik: {topic}"
    complaint = _render(sentences, style, r, place)
    words = complaint.split()
    if len(words) < 8:
        complaint = complaint + " " + _fill(r.choice(ELABORATIONS), r)
    roll = r.random()
    if roll < 0.65:
        note = r.choice(NOTES_NEUTRAL)
    elif label == "general":
        note = r.choice(NOTES_GENERAL + NOTES_CONFLICT[:1])
    else:
        note = r.choice(NOTES_CONFLICT + NOTES_GENERAL[:1])
    return LabelledExample(
        id=f"{id_prefix}{index:05d}",
        complaint=complaint,
        follow_up=note,
        label=label,
        topic=topic,
        reason=reason,
    )


def generate(
    n: int, seed: int, id_prefix: str, exclude: frozenset[str] = frozenset()
) -> list[LabelledExample]:
    """``n`` examples with distinct complaints, none in ``exclude``; the same for the same
    seed (no global random state touched)."""
    r = random.Random(seed)
    seen = set(exclude)
    examples: list[LabelledExample] = []
    while len(examples) < n:
        example = _one(len(examples) + 1, r, id_prefix)
        if example.complaint not in seen:
            seen.add(example.complaint)
            examples.append(example)
    return examples


def default_register_path() -> Path:
    return Path(__file__).resolve().parent / "data" / "register.jsonl"


def default_checkset_path() -> Path:
    return Path(__file__).resolve().parent / "data" / "checkset.jsonl"


def write(examples: list[LabelledExample], path: Path) -> None:
    path.write_text("".join(e.to_json() + "\n" for e in examples), encoding="utf-8")


def generate_files(data_dir: Path | None = None) -> tuple[Path, Path]:
    """Write the register corpus and the frozen check set; returns their paths."""
    register = default_register_path() if data_dir is None else data_dir / "register.jsonl"
    checkset = default_checkset_path() if data_dir is None else data_dir / "checkset.jsonl"
    examples = generate(REGISTER_SIZE, REGISTER_SEED, "g")
    write(examples, register)
    # The check set never repeats a complaint of the corpus word for word.
    taken = frozenset(e.complaint for e in examples)
    write(generate(CHECKSET_SIZE, CHECKSET_SEED, "k", taken), checkset)
    return register, checkset
