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
REGISTER_SIZE = 8000
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
        "{staff} di IGD {hospital} hanya melihat {relative} saya yang {symptom} tanpa menolong",
        "dokter spesialis di poli {hospital} datang jam {hour2} padahal pasien antri sejak jam"
        " {hour}",
        "{staff} di loket {n} {service} {rude} kepada {client}",
        "kepala sekolah SD {place} tidak mau terbuka soal dana BOS kepada wali murid",
        "staf kelurahan menolak melayani dan menyuruh saya bolak-balik tanpa alasan",
        "sopir angkot jurusan {place} merokok di dalam mobil dan ugal-ugalan",
    ],
    "pekerja": [
        "PT {company} di {place} membayar THR hanya separuh dan gaji selalu terlambat",
        "saya diberhentikan dari {company_kind} {company} setelah {worker_ask}, gaji belum dibayar",
        "karyawan {company_kind} {company} dipaksa {forced_act} supaya tidak dapat pesangon",
        "CV {company} menggaji karyawan di bawah UMK padahal sudah kerja dua tahun",
        "iuran BPJS Ketenagakerjaan karyawan PT {company} tidak dibayarkan perusahaan",
        "{training_body} {company} menjanjikan kerja {job_promise} tapi siswanya {duration}"
        " tidak diberangkatkan",
        "{company_kind} {company} mengambil barang dari usaha kami dan {n} bulan belum membayar",
    ],
    "pungli": [
        "untuk surat pengantar di balai desa {place} diminta Rp 100 ribu tanpa kuitansi",
        "sekdes {place} minta uang pelicin untuk pembuatan sertifikat PTSL",
        "pungli di pintu masuk pasar {place} oleh orang suruhan {initial}",
        "{school} negeri {n} di {place} menarik {fee} per anak untuk {school_cost}",
        "di SMP negeri {place} masih dipungut uang gedung lebih dari satu juta per anak",
        "guru di {school} {place} minta bagian dari {student_aid} murid dengan alasan {excuse}",
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

# -- added for issue #17 (second pass): the kinds of real complaints the first model got wrong --
#
# Kinds, never stories: every template below is a general pattern whose object, place, actor,
# amount and time come from the slot lists further down (``SLOTS``), so no single real
# complaint can be recognised in the output (the real sample's licences forbid copying or
# retelling it). Third pass: the second pass's templates that retold one development-half
# complaint in our own words were rewritten this way.

# General complaints whose words the first generator gave only to conflict: aid questions,
# land papers, family members, work and wages asked about without accusing anyone.
GENERAL_MORE: dict[str, list[str]] = {
    "informasi:bantuan": [
        "mau tanya kenapa {aid} {spouse} saya bulan ini tidak cair padahal masih terdaftar",
        "bagaimana cara mengajukan bansos untuk {relative} saya yang {hardship}",
        "apakah masih ada {aid} untuk keluarga kami, sampai sekarang belum pernah dapat",
        "mohon penjelasan kriteria penerima {aid}",
        "{aid} keluarga kami berhenti sejak saya bekerja jadi {job}, apakah aturannya begitu",
        "mohon informasi kapan {aid} bulan ini dibagikan di {place}",
        "kami keluarga tidak mampu, bagaimana caranya supaya bisa dapat {aid}",
        "{aid} yang diajukan desa untuk keluarga kami belum turun juga",
        "{relative} saya {hardship}, mohon dibantu didaftarkan bantuan sosial",
        "apakah ada beasiswa dari pemkab untuk {student} dari keluarga tidak mampu",
        "saya {hardship} dan tidak mampu bayar iuran BPJS, mohon solusinya",
        "mohon diadakan pendataan ulang bantuan supaya yang belum pernah dapat bisa diusulkan",
        "data DTKS keluarga saya masih aktif tapi {aid} bulan {month} belum masuk",
        "saya mau daftarkan {spouse} saya berobat gratis, syaratnya apa saja",
        "kartu KIS keluarga kami nonaktif setelah {relative} saya {life_event}, bagaimana"
        " mengaktifkannya",
    ],
    "adminduk:tanah": [
        "nama di {doc} saya berbeda dengan nama di {doc2}, bagaimana solusinya",
        "mohon info program PTSL atau pemutihan sertifikat tanah apakah ada di {place}",
        "syarat mengubah sertifikat HGB menjadi SHM apa saja dan berapa biayanya",
        "{doc} {relative} saya hilang, bagaimana mengurus penggantinya",
        "peta bidang tanah desa {place} belum diperbarui sehingga pengurusan sertifikat lama",
        "berapa lama proses balik nama sertifikat tanah warisan di kantor pertanahan",
        "mau tanya harga NJOP tanah di pinggir jalan raya {place}",
        "pengukuran tanah untuk sertifikat sudah {n} tahun belum selesai",
        "surat keterangan ahli waris untuk mengurus {asset} almarhum {relative} syaratnya apa",
        "syarat PBG untuk membangun {building} di {place} apa saja dan berapa lama prosesnya",
    ],
    "informasi:kerja": [
        "mohon info lowongan kerja dan magang untuk lulusan {school} di {place}",
        "bagaimana nasib tenaga honorer {job_public} yang sudah belasan tahun mengabdi",
        "kapan tunjangan sertifikasi guru triwulan ini dicairkan, sudah lewat {n} bulan",
        "tolong pemda buka pelatihan kerja untuk pemuda yang menganggur di {place}",
        "prosedur mendaftar {recruitment} bagaimana ya",
        "THR untuk karyawan yang baru bekerja {n} bulan dihitung bagaimana",
    ],
    "kesehatan:keluarga": [
        "istri saya mau melahirkan, apakah bisa pakai BPJS di {hospital}",
        "{spouse} saya sakit {illness} hampir setahun, kami butuh bantuan biaya hidup",
        "bagaimana cara memindah faskes BPJS keluarga kami ke puskesmas terdekat",
        "{health_service} masih ada atau tidak, untuk syarat {purpose}",
        "{spouse} saya perlu {therapy} rutin, apakah ada bantuan transportasi ke rumah sakit",
    ],
    "layanan:umum": [
        "mohon {website} diperbarui karena {content} terbaru belum dimuat",
        "aplikasi pendaftaran online kuotanya selalu penuh walau dibuka tengah malam",
        "pembangunan {project_public} di {place} mangkrak bertahun-tahun, mohon penjelasannya",
        "{monument} di {place} kusam dan kurang terawat, mohon diperbaiki",
        "tarif parkir di pasar {place} berapa sebenarnya, kadang seribu kadang dua ribu",
        "balai desa {place} sering sudah tutup siang hari padahal masih jam kerja",
        "kenapa formulir lapor harus pakai NIK, orang jadi takut melapor",
        "kenapa {public_facility} di kabupaten tidak beroperasi lagi",
        "tolong gelar patroli malam di {place} karena sering ada pencurian motor",
    ],
}

# Conflict the first model missed: a named shop, stall or office and the people in it,
# told in the plain words of a service complaint.
CONFLICT_MORE: dict[str, list[str]] = {
    "usaha:trotoar": [
        "trotoar depan {shop_kind} {shop} dipakai untuk berjualan {goods}, pejalan kaki turun"
        " ke jalan",
        "{stall} di trotoar depan {shop_kind} {shop} sudah ditegur tapi tidak digubris, mohon"
        " ditertibkan",
        "{stall} warna {colour} milik pedagang {goods} di dekat {landmark} ditinggal di trotoar"
        " {duration}",
        "pengunjung {shop_kind} {shop} parkir sembarangan sampai {traffic}",
        "{stall} milik {initial} berdiri tepat di trotoar dekat {landmark}",
        "pedagang yang menggelar {stall} di luar {market} membuat kios resmi di dalam sepi pembeli",
        "{stall} PKL di depan {landmark} sudah dipasang sejak {daytime}, jauh sebelum jam jualan",
        "{livestock} milik {initial} di tengah pemukiman, {nuisance}",
        "{dealer} {subsidised} {shop} {hoarding}, warga kecil tidak kebagian",
    ],
    "oknum:layanan": [
        "pelayanan di {service} sangat buruk, {staff} lamban, {paper} saja sampai {n} jam",
        "dokter di {service} tidak disiplin, jadwal jam {hour} baru datang jam {hour2}",
        "{staff} di {service} yang duduk di {desk} {rude} kepada {client}",
        "{head} {place} dan bawahannya {rude} dan tidak melayani dengan baik",
        "{head} {place} {rude} kepada {relative} saya yang menanyakan {aid}",
        "pegawai di {office} sering keluar kantor setelah jam siang, berkas kami {n} hari tidak"
        " diproses",
        "{lender} {shop} {lender_act}",
        "{service} memungut {amount} untuk {paper}, di tempat lain lebih murah",
        "{staff} di {service} membiarkan {relative} saya yang {symptom} menunggu tanpa ditangani",
        "{staffed_post} {shop} selalu kosong, penjaganya tidak pernah ada",
        "pengelola {market} membiarkan pedagang luar {stall_act}",
        "ada calo yang memperjualbelikan {queue_item} di {service}",
    ],
    "pekerja:perusahaan": [
        "{company_kind} {company} {company_wrong}",
        "saya sudah {n} tahun bekerja di {company_kind} {company}, tapi perusahaan {company_wrong}",
        "{relative} saya karyawan {company_kind} {company}, perusahaannya {company_wrong}",
        "{pay_item} dari {company_kind} {company} belum dibayarkan sampai sekarang",
        "pengembang perumahan {company} membangun tanpa {utility}",
    ],
    "bansos:pilih": [
        "yang dapat {aid} di {hamlet} kami kebanyakan keluarga {official}, padahal bukan orang"
        " miskin",
        "rumah {poor_house} tidak dapat bantuan, yang {rich_house} malah dapat",
        "banyak penerima {aid} di {place} ekonominya sudah mampu tapi masih menerima",
        "apakah karena saya {outsider} jadi {aid} keluarga saya tidak turun, yang diajukan"
        " belakangan sudah",
    ],
    "tetangga:parkir": [
        "{vehicle} {colour} dengan plat {plate} parkir {duration} di jalan kampung, jalan jadi"
        " garasi pribadi",
        "pemilik {vehicle} yang tidak punya garasi parkir di bahu jalan menghalangi pintu rumah"
        " saya",
        "{busker} di sekitar {landmark} {hate_act}",
    ],
    "tanah:proyek": [
        "warga {hamlet} tidak dapat ganti rugi tanah untuk {land_project}, kami dipaksa tanda"
        " tangan",
        "{extractor} milik {initial} {extracting} sampai {land_damage}",
        "{polluter} mau membuang limbah ke {waterway} yang dipakai warga {water_use}, warga"
        " menolak",
    ],
}

# Fourth pass (issue #17): the register's two biases measured on the development half of the
# real sample: general complaints told as a first-person story of hardship (work, pay, family,
# aid not received) read as conflict, and conflict asked as a polite question (is this fee
# allowed, when will these traders be moved) read as general. Kinds, never stories: every
# template draws its object, actor, place and amount from ``SLOTS``.
GENERAL_MORE["informasi:hidup"] = [
    "saya bekerja di {company_kind} dengan gaji {wage} sebulan, {spouse} saya {job},"
    " anak kami {n} orang masih sekolah, kami tidak mampu bayar BPJS, mohon dibantu",
    "saya sudah mengurus {paper} di balai desa lalu mendatangi {office_aid}, hasilnya nihil"
    " sampai hari ini, kami keluarga {hardship2}",
    "saya penerima {aid} sejak tahun {year}, tapi bulan {month} ini tidak dapat, sedangkan"
    " tetangga yang juga penerima tetap dapat, mohon dicek data saya",
    "saya guru honorer di {school} swasta dengan gaji {wage}, punya tanggungan {n} anak,"
    " apakah ada tambahan penghasilan dari pemkab",
    "bantuan untuk anak {age_group} apakah masih ada? keluarga kami belum pernah menerimanya"
    " dari desa",
    "saya punya kartu {aid_card} tapi sejak dibagikan belum pernah terisi, setiap ada"
    " pembagian bantuan kami selalu kosong",
    "saya pemegang {aid_card} tetapi tidak didata sebagai penerima {aid} di kelurahan,"
    " padahal suami saya hanya {job}",
    "saya {hardship} dan perlu berobat, tetapi iuran BPJS menunggak sehingga kartu tidak"
    " aktif, mohon solusinya",
    "kenapa {aid} ibu saya dulu dapat sekarang tidak dapat apa-apa, padahal kartunya masih ada",
    "saya {student} dari keluarga {hardship2}, {relative} saya sudah meninggal, apakah ada"
    " bantuan biaya {study_cost}",
    "mohon info apakah program {land_program} sudah masuk desa kami, selama ini belum ada"
    " sosialisasi",
    "gaji {job_public} di desa kami hanya {wage} sebulan, mohon diperhatikan kesejahteraannya",
]
GENERAL_MORE["layanan:ketertiban"] = [
    "kenapa di kota ini banyak sekali tukang parkir, di setiap {shop_kind} ada, apakah legal"
    " karena saya tidak pernah diberi karcis",
    "di sekitar {landmark} sering terjadi {crime}, kami mohon patroli rutin karena warga"
    " dan mahasiswa merasa tidak aman",
    "banyak {beggar} di perempatan {place}, mohon ditertibkan dan dibina dinas sosial",
    "mohon penertiban {beggar} di lampu merah, mereka mengganggu pengendara",
    "setiap malam {place} sepi dan gelap, sudah beberapa kali ada {crime}, mohon dipasang"
    " CCTV dan lampu",
    "pasar {place} semrawut, pedagang berjualan di lahan parkir sehingga pembeli susah parkir,"
    " mohon ditata",
    "tarif parkir di {landmark} sebenarnya berapa, kadang diminta {small_fee} kadang lebih",
    "{aid} di tempat kami sering tidak tepat sasaran, mohon pemerintah melakukan pendataan"
    " ulang dan pengawasan",
]
CONFLICT_MORE["pungli:tanya"] = [
    "mau tanya apakah {exam} di {school} negeri {n} {place} boleh dipungut biaya? besarnya"
    " sampai {fee}",
    "apakah sekolah negeri boleh menarik {fee} untuk {school_cost}? itu di {school} {n} {place}",
    "mohon informasi, apakah dinas sudah mengizinkan {school} negeri {n} {place} mengadakan"
    " {school_cost}? katanya sudah ada larangan",
    "apakah ada acuan tarif {paper} di {service}? di {service} {place} saya dikenakan {amount}",
    "apakah benar guru di {school} {n} {place} boleh meminta bagian {student_aid} murid?",
    "mau tanya apakah kartu {farmer_card} harus disimpan oleh {dealer}? di tempat kami semua"
    " kartu dipegang {dealer} {shop}",
]
CONFLICT_MORE["usaha:tanya"] = [
    "kapan penataan pedagang yang memakai trotoar {market} {shop} dilaksanakan, mohon infonya",
    "kapan {stall} di depan {landmark} ditertibkan? sudah berkali-kali dijanjikan",
    "apakah ibu lupa janji waktu kampanye untuk menertibkan pedagang di {market} {shop}?",
    "mohon dijelaskan kenapa pedagang di {market} {shop} dibiarkan berjualan di trotoar,"
    " pengurusnya tidak peduli",
]
CONFLICT_MORE["tanah:tanya"] = [
    "mohon kejelasan pencairan uang ganti rugi pembebasan lahan di {hamlet} kami untuk proyek"
    " {land_project}, sudah {n} tahun tanpa kepastian",
    "tanah kami terkena proyek {land_project} tapi ganti ruginya belum dibayar, kami sudah"
    " tanya ke kelurahan dan BPN tidak ada jawaban",
    "{extractor} di {waterway} {place} sudah lama, lingkungan rusak tapi tidak ada yang"
    " berani bertindak karena ada bekingnya",
    "bagaimana sebenarnya kriteria bantuan {aid}, rumah yang {poor_house} tidak dapat,"
    " yang {rich_house} malah dapat",
]

SHOPS = (
    "Sumber Rejeki",
    "Lancar Jaya",
    "Sari Rasa",
    "Berkah",
    "Mekar Sari",
    "Harapan Kita",
    "Sinar Mas",
    "Mulya",
)
OFFICES = ("Bakeuda", "Disdukcapil", "Dinas Pendapatan", "kecamatan", "kelurahan", "Satpas")

# Slot lists for the templates above: each slot draws its value independently, so a
# template yields thousands of different situations rather than one remembered case.
SLOTS: dict[str, tuple[str, ...]] = {
    "wage": ("Rp 500 ribu", "Rp 800 ribu", "satu juta", "Rp 1,5 juta", "di bawah UMK"),
    "office_aid": ("dinsos", "kecamatan", "kantor BPJS", "kelurahan"),
    "hardship2": ("tidak mampu", "miskin", "pas-pasan", "yang sedang kesusahan"),
    "year": ("2019", "2020", "2021", "2022", "2023"),
    "age_group": ("balita", "yatim", "disabilitas", "usia sekolah"),
    "aid_card": ("KKS", "KIS", "kartu sembako", "KIP"),
    "study_cost": ("kuliah", "sekolah", "semester", "wisuda"),
    "land_program": ("PTSL", "pemutihan sertifikat", "sertifikat gratis", "redistribusi tanah"),
    "crime": ("pencurian motor", "jambret", "begal", "maling di kos-kosan", "pemalakan"),
    "beggar": ("pengemis", "pengamen", "manusia silver", "anak jalanan", "peminta-minta"),
    "small_fee": ("Rp 2.000", "Rp 3.000", "Rp 5.000"),
    "exam": ("ujian", "ujian akhir", "try out", "ujian praktik", "penilaian akhir"),
    "farmer_card": ("tani", "petani", "pupuk"),
    "aid": ("PKH", "BPNT", "BLT", "bantuan beras", "KIS PBI", "bantuan RTLH", "bantuan lansia"),
    "relative": (
        "ibu",
        "bapak",
        "suami",
        "istri",
        "anak",
        "nenek",
        "kakek",
        "adik",
        "saudara",
        "paman",
        "mertua",
    ),
    "spouse": ("suami", "istri"),
    "hardship": (
        "sudah janda",
        "lansia dan hidup sendiri",
        "difabel",
        "tidak punya rumah sendiri",
        "sakit menahun",
        "baru kehilangan pekerjaan",
        "menumpang di rumah kerabat",
    ),
    "job": ("buruh tani", "tukang parkir", "penjaga sekolah", "pedagang keliling", "kuli bangunan"),
    "student": ("mahasiswa", "siswa SMA", "santri", "siswa SMK", "lulusan SMA yang mau kuliah"),
    "month": ("januari", "maret", "mei", "juli", "agustus", "oktober", "desember"),
    "life_event": ("meninggal", "pindah kerja", "pensiun", "di-PHK", "pindah domisili"),
    "doc": ("sertifikat tanah", "SPPT PBB", "KK", "akta kelahiran", "buku nikah", "ijazah"),
    "doc2": ("KTP", "SPPT PBB", "KK", "akta kelahiran", "sertifikat tanah", "BPJS"),
    "asset": ("tabungan", "sawah", "rumah", "motor", "pensiun"),
    "building": ("toko", "klinik", "rumah", "gudang", "bengkel", "kos-kosan"),
    "school": ("SMK", "SMA", "SMP", "SD", "MI", "MTs"),
    "job_public": ("penjaga sekolah", "guru", "tenaga kebersihan", "penyuluh", "operator desa"),
    "recruitment": (
        "pegawai BLUD puskesmas",
        "PPPK tenaga teknis",
        "tenaga kontrak di dinas",
        "pegawai BUMD",
        "relawan pemadam kebakaran",
    ),
    "hospital": ("RSUD", "rumah sakit swasta", "klinik pratama", "puskesmas rawat inap"),
    "illness": ("TBC", "stroke", "diabetes", "gagal ginjal", "kanker", "jantung"),
    "health_service": ("vaksin booster", "surat bebas narkoba", "cek kesehatan gratis"),
    "purpose": ("kerja", "melamar kerja", "daftar sekolah", "berangkat haji", "kuliah"),
    "therapy": ("cuci darah", "kemoterapi", "fisioterapi", "kontrol jantung"),
    "website": (
        "website JDIH",
        "website dinas",
        "aplikasi layanan publik",
        "papan informasi desa",
        "website kecamatan",
    ),
    "content": ("peraturan", "pengumuman", "jadwal layanan", "data anggaran", "nomor pengaduan"),
    "project_public": ("terminal", "pasar", "gedung olahraga", "jembatan", "gedung kesenian"),
    "monument": ("gapura", "tugu", "papan nama kecamatan", "halte", "pagar taman kota"),
    "public_facility": (
        "bandara",
        "bus sekolah gratis",
        "perpustakaan keliling",
        "kolam renang umum",
        "kereta lokal",
    ),
    "shop_kind": ("toko", "warung", "rumah makan", "apotek", "toko buah", "konter HP", "bengkel"),
    "goods": ("es teh", "gorengan", "bakso", "buah", "pulsa", "sayur", "kopi", "mainan"),
    "stall": ("gerobak", "lapak", "tenda", "booth jualan", "meja dagangan", "mobil jualan"),
    "colour": ("biru", "hijau", "merah", "kuning", "putih", "oranye", "hitam"),
    "landmark": (
        "gedung olahraga",
        "alun-alun",
        "stasiun",
        "kantor dinas",
        "taman kota",
        "terminal",
        "masjid agung",
        "rumah sakit",
    ),
    "duration": (
        "berhari-hari",
        "berminggu-minggu",
        "berbulan-bulan",
        "sejak lebaran",
        "hampir setahun",
    ),
    "traffic": (
        "mobil tidak bisa papasan",
        "angkot tidak bisa lewat",
        "jalan tinggal satu lajur",
        "pintu rumah warga tertutup",
    ),
    "market": ("pasar", "food court", "sentra kuliner", "kios resmi", "pujasera"),
    "daytime": ("siang", "pagi", "jam dua siang", "sebelum asar"),
    "livestock": (
        "kandang ayam petelur",
        "peternakan bebek",
        "kandang kambing",
        "kolam lele",
        "kandang sapi",
        "peternakan puyuh",
    ),
    "nuisance": (
        "baunya menyengat sampai ke dapur",
        "lalatnya masuk ke rumah-rumah",
        "limbahnya mengalir ke selokan warga",
        "suaranya bising dari subuh",
    ),
    "dealer": ("pangkalan", "agen", "kios", "pengecer"),
    "subsidised": ("elpiji 3 kg", "pupuk subsidi", "minyak goreng murah", "beras murah"),
    "hoarding": (
        "menjual borongan ke pengecer luar desa",
        "hanya melayani kenalannya",
        "menjual di atas harga eceran tertinggi",
        "menahan kartu milik pembeli",
    ),
    "service": (
        "puskesmas",
        "puskesmas pembantu",
        "puskesmas kecamatan",
        "RSUD",
        "kantor kecamatan",
        "balai desa",
        "Disdukcapil",
        "kantor PDAM",
        "Samsat",
        "kantor pos",
    ),
    "staff": (
        "petugas loket",
        "perawat",
        "petugas pendaftaran",
        "satpam",
        "staf pelayanan",
        "petugas jaga",
    ),
    "paper": ("surat rujukan", "surat pengantar", "surat sehat", "legalisir", "surat keterangan"),
    "desk": ("meja paling ujung", "loket dua", "meja depan", "bagian informasi", "loket kasir"),
    "rude": (
        "ketus",
        "membentak",
        "marah-marah",
        "tidak ramah",
        "acuh",
        "sinis",
        "main HP sambil melayani",
    ),
    "client": ("pelanggan", "pasien", "warga", "lansia", "pemohon"),
    "head": ("lurah", "kades", "camat", "kepala UPT", "kepala puskesmas", "kadus"),
    "lender": ("bank", "koperasi", "leasing", "BPR"),
    "lender_act": (
        "mempersulit pelunasan dan tidak bisa dihubungi",
        "menahan BPKB padahal sudah lunas",
        "memblokir nomor nasabah yang menanyakan tagihan",
        "menagih dengan kasar ke rumah",
        "tidak mau memberi rincian tagihan",
    ),
    "amount": ("Rp 25.000", "Rp 35.000", "Rp 50.000", "Rp 75.000", "Rp 100.000", "Rp 150.000"),
    "symptom": ("demam tinggi", "sesak napas", "pendarahan", "pingsan", "kejang", "muntah terus"),
    "staffed_post": ("rumah singgah", "pos kesehatan", "posko bencana", "perpustakaan desa"),
    "stall_act": (
        "parkir gerobak di dalam",
        "menggelar dagangan di lorong",
        "memakai listrik kios",
        "menutup jalan masuk",
    ),
    "queue_item": ("nomor antrian", "kuota pendaftaran", "jadwal uji SIM", "formulir"),
    "company_kind": ("PT", "CV", "pabrik", "distributor", "toko grosir", "perusahaan ekspedisi"),
    "company_wrong": (
        "tidak membayar cuti melahirkan",
        "terlambat membayar gaji berbulan-bulan",
        "mem-PHK tanpa pesangon dan tanpa penjelasan",
        "tidak membayar uang lembur",
        "menahan ijazah karyawan",
        "tidak mendaftarkan BPJS Ketenagakerjaan",
        "memecat karyawan yang minta cuti",
    ),
    "pay_item": ("kompensasi magang", "uang lembur", "THR", "uang pesangon", "gaji terakhir"),
    "utility": ("IPAL", "hidran", "saluran air", "fasilitas umum", "jalan lingkungan"),
    "hamlet": ("dusun", "RW", "kampung", "pedukuhan", "lingkungan"),
    "official": ("perangkat desa", "pengurus RT", "kadus", "pendamping bansos"),
    "poor_house": ("reot", "berdinding bambu", "berlantai tanah", "yang atapnya bocor"),
    "rich_house": ("sudah berkeramik", "bertingkat", "punya mobil", "punya toko"),
    "outsider": ("pendatang", "minoritas", "beda pilihan waktu pilkades", "bukan pendukung kades"),
    "vehicle": ("mobil", "truk", "pick up", "mobil boks", "bus"),
    "busker": ("pengamen", "orang mabuk", "sekelompok pemuda", "pengemis"),
    "hate_act": (
        "menyanyikan lirik yang menghina suku tertentu",
        "meneriakkan ejekan agama kepada pembeli",
        "mengolok-olok warga keturunan",
    ),
    "land_project": ("pelebaran jalan", "jalan tol", "saluran irigasi", "tanggul", "sekolah"),
    "extractor": ("tambang pasir", "galian C", "tambang batu", "penggalian tanah urug"),
    "extracting": (
        "mengeruk sungai di perbatasan desa",
        "menggali tebing dekat pemukiman",
        "mengambil tanah di pinggir sawah",
    ),
    "land_damage": (
        "tanah warga tergerus",
        "jalan desa retak",
        "sawah warga longsor",
        "sumur warga kering",
    ),
    "polluter": ("rumah sakit", "pabrik", "peternakan", "hotel", "rumah potong hewan"),
    "waterway": ("kali", "sungai", "saluran irigasi", "selokan desa"),
    "water_use": ("mandi dan mencuci", "mengairi sawah", "memberi minum ternak"),
    "fee": ("Rp 150.000", "Rp 250.000", "Rp 400.000", "Rp 600.000", "Rp 1 juta"),
    "school_cost": (
        "membeli bangku",
        "study tour",
        "buku LKS",
        "seragam batik",
        "perpisahan kelas",
        "uang gedung",
        "les tambahan",
    ),
    "student_aid": ("dana PIP", "beasiswa", "bantuan seragam", "tabungan siswa"),
    "excuse": ("sudah membantu mengurus", "uang administrasi", "sukarela", "untuk kas kelas"),
    "worker_ask": (
        "mengajukan cuti melahirkan",
        "menanyakan upah lembur",
        "minta cuti sakit",
        "ikut serikat pekerja",
    ),
    "forced_act": ("membuat surat pengunduran diri", "menandatangani kontrak baru", "mundur"),
    "training_body": ("LPK", "lembaga kursus", "agen penyalur", "yayasan pelatihan"),
    "job_promise": ("ke luar negeri", "di kapal pesiar", "di pabrik luar kota", "di Jepang"),
}


def _plate(r: random.Random) -> str:
    """A made-up plate: region letter, number and suffix drawn anew each time."""
    suffix = "".join(r.choice("ABCDEFGHKLMNPRSTUWXYZ") for _ in range(r.randint(1, 3)))
    return f"{r.choice('GHKR')} {r.randint(10, 9999)} {suffix}"


# Openings, elaborations and closings in the register of the app and of WhatsApp.
OPENINGS_MORE = [
    "assalamualaikum wr wb ibu bupati",
    "selamat siang bu bupati",
    "ijin melaporkan",
    "nuwun sewu pak",
    "mohon maaf sebelumnya",
    "selamat pagi admin",
    "bismillah",
]
ELABORATIONS_MORE = [
    "mohon maaf apabila ada kata yang kurang berkenan",
    "saya hanya ingin bertanya dan berkeluh kesah",
    "semoga laporan ini segera ditanggapi",
    "saya sudah lapor ke dinas terkait tapi belum ada respon",
    "mohon penjelasannya supaya saya tidak salah paham",
    "terima kasih atas perhatiannya, sehat selalu bu",
    "kami rakyat kecil hanya bisa berharap",
    "saya bingung harus mengadu ke siapa lagi",
]

for _key, _templates in GENERAL_MORE.items():
    GENERAL[_key] = _templates
for _key, _templates in CONFLICT_MORE.items():
    CONFLICT[_key] = _templates

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
    hour = r.randint(6, 9)
    return template.format(
        group=r.choice(GROUPS),
        faith=r.choice(FAITHS),
        slur=r.choice(SLURS),
        worship=r.choice(WORSHIP),
        company=r.choice(COMPANIES),
        shop=r.choice(SHOPS),
        office=r.choice(OFFICES),
        plate=_plate(r),
        hour=hour,
        hour2=hour + r.randint(2, 4),
        **{slot: r.choice(values) for slot, values in SLOTS.items()},
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
        parts = [r.choice(OPENINGS_WA + OPENINGS_MORE), *sentences, r.choice(CLOSINGS_WA)]
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
            lambda: _fill(r.choice(ELABORATIONS + ELABORATIONS_MORE), r),
            lambda: r.choice(NEUTRAL_EXTRAS),
            lambda: _fill(r.choice(GENERAL[topic]), r),
        ]
        for _ in range(extras):
            sentences.append(r.choice(pool)())
        if r.random() < 0.45:
            sentences.insert(r.randint(1, len(sentences)), r.choice(NEUTRAL_EXTRAS))
        reason = f"keluhan umum: {topic.split(':')[0]}"
    else:
        topic = r.choice(list(CONFLICT))
        conflict_sentence = _fill(r.choice(CONFLICT[topic]), r)
        kind = topic.split(":")[0]
        tacked = kind in {"oknum", "bansos", "pungli", "danadesa"} and r.random() < 0.5
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
                sentences.append(_fill(r.choice(ELABORATIONS + ELABORATIONS_MORE), r))
            if r.random() < 0.3:
                sentences.append(_fill(r.choice(CONFLICT[topic]), r))
        reason = f"rawan konflik: {topic.split(':')[0]}"
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
        topic=topic.split(":")[0],
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
