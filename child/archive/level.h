/* level: the state of one walk over a file (struct walk) and of each
 * archive in it being read (struct level), shared by the files of
 * child/archive/ and by nothing else: walk.c reads, judge.c judges names
 * and kinds and keeps the manifest, reasons.c records what was found. */
#ifndef CORRAL_LEVEL_H
#define CORRAL_LEVEL_H

#include <archive.h>
#include <archive_entry.h>
#include <msgpack.h>
#include <openssl/evp.h>

#include "child/archive/inspect.h"

#define BLOCK		(64 * 1024)
/* Bytes of an entry's data looked at to tell an archive: tar's magic is
 * at 257. An ISO 9660 image (its magic at 32769) inside another archive is
 * therefore read as plain data. */
#define SNIFF		512
/* Memory for zip and 7-Zip archives inside others, all levels together:
 * they are read from memory, with seeks, when they fit. */
#define NEST_MEMORY	(64u << 20)

/* One archive being read: the file itself, or an entry's data read as an
 * archive, streamed from the level above. */
struct level {
	struct walk *w;
	struct archive *a;
	struct level *up;		/* the archive this one is an entry of */
	unsigned depth;			/* 0 for the file itself */
	uint64_t salt;			/* keeps one archive's names from another's */
	int failed;			/* damaged: reading it has stopped */
	int plain;			/* only "raw" took it: not an archive */
	/* The entry being read. */
	const char *name;		/* as the archive gives it; NULL between entries */
	uint64_t flags;			/* its reasons, 1 << R_* */
	int nested;			/* its data was read as an archive */
	int eof;			/* its data has ended */
	int64_t start;			/* compressed position where its data began */
	int entry_ratio;		/* and that position measures its data */
	uint64_t ebytes;		/* its uncompressed bytes so far, holes included */
	uint64_t logical;		/* a sparse entry's size, holes included; else 0 */
	uint64_t hole;			/* zeros of a hole still to give */
	const void *held;		/* the block after the hole */
	size_t heldlen;
	EVP_MD_CTX *md;			/* its digest, with entry_sha256 */
	int64_t data_end;		/* zip: where the data read so far ends */
	int overlap_noted;
	/* For the level below it: its first bytes, pulled to look at them. */
	unsigned char sniff[SNIFF];
	/* Data of the level above, pulled but not yet handed to libarchive. */
	const void *pend[2];
	size_t pendlen[2];
};

struct walk {
	struct archive_limits lim;
	uint32_t formats;		/* 1 << FMT_* read */
	int entry_sha256;
	struct inspect *in;
	int fd;
	uint64_t pos;			/* where the next read of the file starts */
	uint64_t hashed;		/* bytes of the file digested, in order */
	int stop;			/* a limit was hit, or memory ran out */
	int err;			/* errno when inspection itself failed */
	uint64_t levels;		/* archives opened in this file */
	uint64_t seed;			/* the key of the names' hashes */
	unsigned char *block;		/* the file's read buffer, libarchive's to read */
	unsigned char *scratch;		/* BLOCK bytes for looking at the file besides */
	EVP_MD *sha256;
	EVP_MD_CTX *file_md, *entry_md;
	struct archive *last;		/* the file's reader, kept for its names */
	/* A compressed file is read in layers: this reader decompresses it,
	 * the file's reader reads what it gives (walk.c). */
	struct archive *outer;
	uint64_t fed;			/* bytes given to the file's reader */
	const void *last_block;		/* the last of them, still the outer's */
	size_t last_len;
	char *norm, *fold;		/* name buffers */
	uint64_t *stack;		/* a link's resolution */
	size_t namecap;
	struct nameset names, folded, links;
	struct nameset files;		/* regular files, a hard link's only targets */
	size_t mem_used;		/* of NEST_MEMORY */
	msgpack_packer pk;
};

/* Little-endian fields of the formats' headers (zip, cab). */
static inline unsigned
le16(const unsigned char *p)
{
	return p[0] | p[1] << 8;
}

static inline uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* walk.c */
/* pread of up to len bytes at off, again when a signal interrupts it. */
ssize_t read_at(int fd, void *buf, size_t len, uint64_t off);
/* The seek callback of a reader of the file itself (cd is the walk). */
la_int64_t walk_seek(struct archive *a, void *cd, la_int64_t off, int whence);

/* reasons.c */
/* The entry's name as reported: the names of the archives it is inside
 * first, each followed by "!/". buf holds NAME_OUT_MAX + 1 bytes. */
size_t level_display(const struct level *lv, char *buf);
/* Records reason r against the entry being read at lv (or lv's archive
 * when none is), once per entry. */
void level_note(struct level *lv, enum reason r, const char *detail);
/* A limit was hit: noted, and everything stops. Returns -1. */
int level_hit(struct level *lv, enum reason r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* libarchive refused to go on at lv: noted by the kind its message names. */
void level_damaged(struct level *lv);

/* judge.c */
/* Room in w's name buffers for need bytes. Returns 0, or -1 when memory
 * ran out (w stops). */
int grow_names(struct walk *w, size_t need);
/* Type, mode, name and link target of the entry: what extracting it would
 * do. Returns 0, or -1 when everything stops. */
int level_judge(struct level *lv, struct archive_entry *e, const char *name, size_t len);
/* zip.c */
/* The data of the entry just read, from lv->start to end. */
void level_overlap(struct level *lv, int64_t end);
/* Before the first entry of the file, a zip: each record of its central
 * directory against its local header (names, method, flags), entries whose
 * bytes overlap, and bytes no record describes (a prefix, gaps, local
 * headers the directory does not list, what follows the end). */
void level_zip_survey(struct level *lv);
/* After the last entry, seen of them in all: more records than entries
 * (two records for one offset) overlap. */
void level_zip_check(struct level *lv, uint64_t seen);
/* The records the file's end of central directory counts (zip64's too),
 * or 0 when there is none. */
uint64_t zip_records(struct walk *w);

/* survey.c: after the file's last entry, what another reader of it would
 * see (data after the end, ISO 9660's Joliet names, a CAB's layout). */
void level_survey(struct level *top);

/* The entry in the manifest; with digest, lv->md's sum too. */
void level_record(struct level *lv, struct archive_entry *e, int digest);

#endif
