/* wal.c -- append-only record files (see wal.h).
 *
 * DIR/FILE_NAME (acceptor.wal, learned.log) is a sequence of records, all
 * integers little-endian:
 *
 *   u32 payload length | u32 CRC32C(type byte + payload) | u8 type | payload
 *
 *   promise payload: u32 round, u32 node
 *   accept payload:  u64 slot, u32 round, u32 node, u8 flags (bit0 = no-op),
 *                    u64 seq, u16 client length, client bytes,
 *                    u32 data length, data bytes
 *   trim payload:    u64 slot (the slots up to it were forgotten)
 *   note payload:    u8 kind, u64 number, text bytes (to the end)
 *
 * wal_open() replays the valid prefix of the file and cuts off the rest
 * (a write torn by a crash, or corruption). Appends only encode into a
 * memory buffer; wal_sync() writes the buffer with one write() loop and
 * one fdatasync(), so every record appended since the last sync is
 * committed together. wal_read() may write the buffer early (write()
 * only); the file offset the last wal_sync() covered says what is still
 * to be synced.
 *
 * Replay and wal_read() scan the file with pread() through a buffer of
 * READ_BUFFER bytes, grown only to hold a single larger record, so memory
 * does not grow with the file.
 *
 * When wal_sync() fails:
 *  - a failed write() keeps the bytes not yet written in the buffer, so a
 *    later wal_sync() continues exactly where the file ends;
 *  - a failed fdatasync() is permanent: Linux may drop the dirty pages and
 *    report success on a retry, so every later wal_sync() fails too and
 *    the process should stop and recover by replay on restart. */
#include "store/wal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

#define HEADER_SIZE    9u          /* length, CRC, type */
#define MAX_PAYLOAD    (16u << 20) /* anything longer is corruption */
#define PROMISE_SIZE   8u
#define TRIM_SIZE      8u
#define NOTE_FIXED     9u          /* note payload without its text */
#define ACCEPT_FIXED   31u         /* accept payload without its strings */
#define ACCEPT_CLIENT  27u         /* where the client bytes start */
#define FLAG_NOOP      0x01u
#define READ_BUFFER    (64u << 10)

enum record_type {
    RECORD_PROMISE = 1, RECORD_ACCEPT = 2, RECORD_TRIM = 3, RECORD_NOTE = 4,
};

struct wal {
    int fd;
    bool fsync;
    bool sync_failed;   /* an fdatasync() failed: see the top of the file */
    char *path;
    uint8_t *buf;       /* encoded records not yet written */
    size_t len;
    size_t cap;
    uint64_t size;      /* bytes in the file */
    uint64_t synced;    /* bytes of the file the last wal_sync() covered */
    uint64_t syncs;
};

/* A window of the file in memory, for scanning records. */
struct reader {
    uint8_t *buf;
    size_t cap;
    uint64_t start;     /* the file offset of buf[0] */
    size_t len;         /* file bytes in buf */
};

/* ---- CRC32C (Castagnoli), reflected polynomial 0x82F63B78 ---- */

static uint32_t crc32c_table[256];
static bool crc32c_table_ready;

/* Filled on first use; the daemon is single-threaded (see loop.h). */
static void crc32c_init_table(void)
{
    crc32c_table_ready = true;
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int bit = 0; bit < 8; bit++)
            c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        crc32c_table[i] = c;
    }
}

static uint32_t crc32c(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;

    if (!crc32c_table_ready)
        crc32c_init_table();
    while (n--)
        c = crc32c_table[(c ^ *p++) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

/* ---- little-endian encoding ---- */

static uint8_t *put_u8(uint8_t *p, uint8_t v)
{
    *p = v;
    return p + 1;
}

static uint8_t *put_le(uint8_t *p, uint64_t v, size_t bytes)
{
    for (size_t i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
    return p + bytes;
}

static uint8_t *put_bytes(uint8_t *p, const void *src, size_t n)
{
    if (n)
        memcpy(p, src, n);
    return p + n;
}

static uint64_t get_le(const uint8_t *p, size_t bytes)
{
    uint64_t v = 0;

    for (size_t i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* ---- appending ---- */

static int buffer_reserve(struct wal *w, size_t extra)
{
    size_t cap = w->cap ? w->cap : 4096;
    uint8_t *grown;

    while (cap - w->len < extra)
        cap *= 2;
    if (cap == w->cap)
        return 0;
    grown = realloc(w->buf, cap);
    if (!grown) {
        log_error("wal: out of memory buffering %zu bytes", extra);
        return -1;
    }
    w->buf = grown;
    w->cap = cap;
    return 0;
}

/* Reserves room for one record and returns where its payload goes. */
static uint8_t *record_begin(struct wal *w, size_t payload_len)
{
    if (buffer_reserve(w, HEADER_SIZE + payload_len) < 0)
        return NULL;
    return w->buf + w->len + HEADER_SIZE;
}

/* Fills in the header of the record whose payload was just written. */
static void record_end(struct wal *w, enum record_type type,
                       size_t payload_len)
{
    uint8_t *header = w->buf + w->len;

    header[8] = (uint8_t)type;
    put_le(header, payload_len, 4);
    put_le(header + 4, crc32c(header + 8, 1 + payload_len), 4);
    w->len += HEADER_SIZE + payload_len;
}

int wal_append_promise(struct wal *w, struct ballot b)
{
    uint8_t *p = record_begin(w, PROMISE_SIZE);

    if (!p)
        return -1;
    p = put_le(p, b.round, 4);
    put_le(p, b.node, 4);
    record_end(w, RECORD_PROMISE, PROMISE_SIZE);
    return 0;
}

int wal_append_accept(struct wal *w, uint64_t slot, struct ballot b,
                      const struct pvalue *v)
{
    bool noop = pvalue_is_noop(v);
    const char *client = noop || !v->client ? "" : v->client;
    size_t client_len = strlen(client);
    size_t data_len = noop ? 0 : strlen(v->data);
    size_t payload_len;
    uint8_t *p;

    if (client_len > UINT16_MAX || data_len > MAX_PAYLOAD - ACCEPT_FIXED -
                                               client_len) {
        log_error("wal: value for slot %llu too large (%zu bytes)",
                  (unsigned long long)slot, data_len);
        return -1;
    }
    payload_len = ACCEPT_FIXED + client_len + data_len;
    p = record_begin(w, payload_len);
    if (!p)
        return -1;
    p = put_le(p, slot, 8);
    p = put_le(p, b.round, 4);
    p = put_le(p, b.node, 4);
    p = put_u8(p, noop ? FLAG_NOOP : 0);
    p = put_le(p, v->seq, 8);
    p = put_le(p, client_len, 2);
    p = put_bytes(p, client, client_len);
    p = put_le(p, data_len, 4);
    put_bytes(p, noop ? NULL : v->data, data_len);
    record_end(w, RECORD_ACCEPT, payload_len);
    return 0;
}

uint64_t wal_end(const struct wal *w)
{
    return w->size + w->len;
}

int wal_append_trim(struct wal *w, uint64_t upto)
{
    uint8_t *p = record_begin(w, TRIM_SIZE);

    if (!p)
        return -1;
    put_le(p, upto, 8);
    record_end(w, RECORD_TRIM, TRIM_SIZE);
    return 0;
}

int wal_append_note(struct wal *w, uint8_t kind, uint64_t number,
                    const char *text)
{
    size_t len = strlen(text);
    uint8_t *p;

    if (len > MAX_PAYLOAD - NOTE_FIXED) {
        log_error("wal: note of %zu bytes too large", len);
        return -1;
    }
    if (!(p = record_begin(w, NOTE_FIXED + len)))
        return -1;
    p = put_u8(p, kind);
    p = put_le(p, number, 8);
    put_bytes(p, text, len);
    record_end(w, RECORD_NOTE, NOTE_FIXED + len);
    return 0;
}

size_t wal_pending(const struct wal *w)
{
    return (size_t)(wal_end(w) - w->synced);
}

/* ---- syncing ---- */

/* Writes the whole buffer (w->len > 0). On error keeps what was not
 * written. */
static int write_pending(struct wal *w)
{
    size_t done = 0;
    int rc = 0;

    while (done < w->len) {
        ssize_t n = write(w->fd, w->buf + done, w->len - done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            log_error("wal: write %s: %s", w->path, strerror(errno));
            rc = -1;
            break;
        }
        done += (size_t)n;
    }
    memmove(w->buf, w->buf + done, w->len - done);
    w->len -= done;
    w->size += done;
    return rc;
}

int wal_sync(struct wal *w)
{
    if (wal_pending(w) == 0)
        return 0;
    if (w->sync_failed) {
        log_error("wal: %s: refusing to sync after an fdatasync failure",
                  w->path);
        return -1;
    }
    if (w->len && write_pending(w) < 0)
        return -1;
    if (w->fsync && fdatasync(w->fd) < 0) {
        log_error("wal: fdatasync %s: %s", w->path, strerror(errno));
        w->sync_failed = true;
        return -1;
    }
    w->synced = w->size;
    w->syncs++;
    return 0;
}

uint64_t wal_size(const struct wal *w)
{
    return w->size;
}

uint64_t wal_syncs(const struct wal *w)
{
    return w->syncs;
}

/* ---- reading ---- */

static struct ballot get_ballot(const uint8_t *p)
{
    return (struct ballot){ (uint32_t)get_le(p, 4),
                            (uint32_t)get_le(p + 4, 4) };
}

static int replay_promise(const uint8_t *p, const struct wal_replay *r)
{
    if (r->promise)
        r->promise(r->ud, get_ballot(p));
    return 0;
}

/* Calls r->accept for an accept payload of len >= ACCEPT_FIXED bytes;
 * returns 0, 1 when the payload is malformed, or -1 when out of memory. */
static int replay_accept(const uint8_t *p, size_t len, uint64_t offset,
                         const struct wal_replay *r)
{
    uint64_t slot = get_le(p, 8);
    struct ballot b = get_ballot(p + 8);
    uint8_t flags = p[16];
    struct pvalue v = { NULL, NULL, get_le(p + 17, 8) };
    size_t client_len = get_le(p + 25, 2);
    const uint8_t *client = p + ACCEPT_CLIENT;
    const uint8_t *data;
    size_t data_len;
    char *strings;

    if (len - ACCEPT_FIXED < client_len)
        return 1;
    data_len = get_le(client + client_len, 4);
    data = client + client_len + 4;
    if (len - ACCEPT_FIXED - client_len != data_len || (flags & ~FLAG_NOOP))
        return 1;
    if (flags & FLAG_NOOP) {
        if (client_len || data_len)
            return 1;
        r->accept(r->ud, offset, slot, b, &v);
        return 0;
    }
    strings = malloc(client_len + 1 + data_len + 1);
    if (!strings) {
        log_error("wal: out of memory replaying slot %llu",
                  (unsigned long long)slot);
        return -1;
    }
    v.client = memcpy(strings, client, client_len);
    v.client[client_len] = '\0';
    v.data = memcpy(strings + client_len + 1, data, data_len);
    v.data[data_len] = '\0';
    r->accept(r->ud, offset, slot, b, &v);
    free(strings);
    return 0;
}

/* Calls r->note with the text as a string; returns 0, or -1 when out of
 * memory. */
static int replay_note(const uint8_t *p, size_t len,
                       const struct wal_replay *r)
{
    size_t text_len = len - NOTE_FIXED;
    char *text;

    if (!r->note)
        return 0;
    if (!(text = malloc(text_len + 1))) {
        log_error("wal: out of memory replaying a note");
        return -1;
    }
    memcpy(text, p + NOTE_FIXED, text_len);
    text[text_len] = '\0';
    r->note(r->ud, p[0], get_le(p + 1, 8), text, text_len);
    free(text);
    return 0;
}

/* Replays the record at p[0..avail), found at offset in the file; sets
 * *used to its size. Returns 0, -1 when out of memory, or 1 with *reason
 * set when the record is not valid. */
static int replay_record(const uint8_t *p, size_t avail, uint64_t offset,
                         const struct wal_replay *r, size_t *used,
                         const char **reason)
{
    size_t len;

    if (avail < HEADER_SIZE) {
        *reason = "short header";
        return 1;
    }
    len = get_le(p, 4);
    if (len > MAX_PAYLOAD) {
        *reason = "absurd length";
        return 1;
    }
    if (avail - HEADER_SIZE < len) {
        *reason = "short payload";
        return 1;
    }
    if (crc32c(p + 8, 1 + len) != get_le(p + 4, 4)) {
        *reason = "bad CRC";
        return 1;
    }
    *used = HEADER_SIZE + len;
    switch (p[8]) {
    case RECORD_PROMISE:
        *reason = "malformed promise";
        return len == PROMISE_SIZE ? replay_promise(p + HEADER_SIZE, r) : 1;
    case RECORD_ACCEPT:
        *reason = "malformed accept";
        return len >= ACCEPT_FIXED
                   ? replay_accept(p + HEADER_SIZE, len, offset, r) : 1;
    case RECORD_TRIM:
        *reason = "malformed trim";
        if (len != TRIM_SIZE)
            return 1;
        if (r->trim)
            r->trim(r->ud, get_le(p + HEADER_SIZE, 8));
        return 0;
    case RECORD_NOTE:
        *reason = "malformed note";
        return len >= NOTE_FIXED ? replay_note(p + HEADER_SIZE, len, r) : 1;
    default:
        *reason = "unknown type";
        return 1;
    }
}

/* Reads the file from pos into the buffer: as many bytes as fit, or as
 * the file holds. */
static int fill(struct wal *w, struct reader *rd, uint64_t pos)
{
    size_t want = w->size - pos < rd->cap ? (size_t)(w->size - pos)
                                          : rd->cap;
    size_t got = 0;

    while (got < want) {
        ssize_t n = pread(w->fd, rd->buf + got, want - got,
                          (off_t)(pos + got));

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            log_error("wal: read %s: %s", w->path,
                      n < 0 ? strerror(errno) : "file shorter than known");
            return -1;
        }
        got += (size_t)n;
    }
    rd->start = pos;
    rd->len = want;
    return 0;
}

/* Makes the buffer hold the whole record at pos (rd->start <= pos <=
 * rd->start + rd->len), or what the file holds of it when it is cut
 * short or its length is absurd: replay_record() then says so. */
static int buffer_record(struct wal *w, struct reader *rd, uint64_t pos)
{
    uint64_t left = w->size - pos;
    size_t have = (size_t)(rd->start + rd->len - pos);
    uint64_t need;

    if (have < HEADER_SIZE && have < left) {
        if (fill(w, rd, pos) < 0)
            return -1;
        have = rd->len;
    }
    if (have < HEADER_SIZE)
        return 0;
    need = HEADER_SIZE + get_le(rd->buf + (pos - rd->start), 4);
    if (need <= have || need > left || need > HEADER_SIZE + MAX_PAYLOAD)
        return 0;
    if (need > rd->cap) {
        uint8_t *grown = realloc(rd->buf, (size_t)need);

        if (!grown) {
            log_error("wal: out of memory reading %llu bytes of %s",
                      (unsigned long long)need, w->path);
            return -1;
        }
        rd->buf = grown;
        rd->cap = (size_t)need;
    }
    return fill(w, rd, pos);
}

/* Hands the records of [offset, w->size) to r while more (if any) says
 * so; *end is where it stopped. Returns 0 at the end or when told to
 * stop, -1 on an I/O error or when out of memory, or 1 with *reason set
 * when the record at *end is not valid. */
static int scan(struct wal *w, uint64_t offset, const struct wal_replay *r,
                bool (*more)(void *ud), uint64_t *end, const char **reason)
{
    struct reader rd = { malloc(READ_BUFFER), READ_BUFFER, offset, 0 };
    int rc = 0;

    *end = offset;
    if (!rd.buf) {
        log_error("wal: out of memory reading %s", w->path);
        return -1;
    }
    while (*end < w->size && (!more || more(r->ud))) {
        size_t used = 0;

        rc = buffer_record(w, &rd, *end);
        if (rc == 0)
            rc = replay_record(rd.buf + (*end - rd.start),
                               (size_t)(rd.start + rd.len - *end), *end, r,
                               &used, reason);
        if (rc != 0)
            break;
        *end += used;
    }
    free(rd.buf);
    return rc;
}

int wal_read(struct wal *w, uint64_t offset, const struct wal_replay *r,
             bool (*more)(void *ud))
{
    uint64_t end;
    const char *reason = NULL;
    int rc;

    if (w->len && write_pending(w) < 0)
        return -1;
    if (offset > w->size) {
        log_error("wal: %s: read from %llu, past the end (%llu)", w->path,
                  (unsigned long long)offset, (unsigned long long)w->size);
        return -1;
    }
    rc = scan(w, offset, r, more, &end, &reason);
    if (rc > 0)
        log_error("wal: %s: %s at offset %llu", w->path, reason,
                  (unsigned long long)end);
    return rc == 0 ? 0 : -1;
}

/* Cuts the file at the end of the last valid record. */
static int drop_tail(struct wal *w, uint64_t valid, const char *reason)
{
    log_warn("wal: %s: %s at offset %llu, dropping %llu bytes", w->path,
             reason, (unsigned long long)valid,
             (unsigned long long)(w->size - valid));
    if (ftruncate(w->fd, (off_t)valid) < 0 ||
        (w->fsync && fdatasync(w->fd) < 0)) {
        log_error("wal: truncate %s: %s", w->path, strerror(errno));
        return -1;
    }
    w->size = valid;
    return 0;
}

static int replay_file(struct wal *w, const struct wal_replay *r)
{
    struct stat st;
    uint64_t valid;
    const char *reason = NULL;
    int rc;

    if (fstat(w->fd, &st) < 0) {
        log_error("wal: stat %s: %s", w->path, strerror(errno));
        return -1;
    }
    w->size = (uint64_t)st.st_size;
    rc = scan(w, 0, r, NULL, &valid, &reason);
    if (rc > 0)
        rc = drop_tail(w, valid, reason);
    w->synced = w->size;
    return rc;
}

/* ---- opening and closing ---- */

/* mkdir -p with mode 0700 for every directory it creates. */
static int make_dirs(const char *dir)
{
    char *path = strdup(dir);
    int rc = -1;

    if (!path) {
        log_error("wal: out of memory");
        return -1;
    }
    for (char *slash = path + strspn(path, "/");; slash++) {
        bool end = *slash == '\0';

        if (*slash != '/' && !end)
            continue;
        *slash = '\0';
        if (mkdir(path, 0700) < 0 && errno != EEXIST) {
            log_error("wal: mkdir %s: %s", path, strerror(errno));
            goto cleanup;
        }
        if (end)
            break;
        *slash = '/';
    }
    rc = 0;
cleanup:
    free(path);
    return rc;
}

/* Makes the file's directory entry durable (it may just have been made). */
static int sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = fd < 0 ? -1 : fsync(fd);

    if (rc < 0)
        log_error("wal: fsync directory %s: %s", dir, strerror(errno));
    if (fd >= 0)
        close(fd);
    return rc;
}

static int open_file(struct wal *w, const char *dir)
{
    w->fd = open(w->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (w->fd < 0) {
        log_error("wal: open %s: %s", w->path, strerror(errno));
        return -1;
    }
    if (flock(w->fd, LOCK_EX | LOCK_NB) < 0) {
        int err = errno;
        log_error("wal: lock %s: %s (another paxosd uses it?)", w->path,
                  strerror(err));
        errno = err;
        return -1;
    }
    return w->fsync ? sync_dir(dir) : 0;
}

struct wal *wal_open(const char *dir, const char *file_name, bool fsync,
                     const struct wal_replay *r)
{
    struct wal *w = calloc(1, sizeof(*w));  /* ours until returned */
    struct wal *opened = NULL;

    if (!w) {
        log_error("wal: out of memory");
        return NULL;
    }
    w->fd = -1;
    w->fsync = fsync;
    if (asprintf(&w->path, "%s/%s", dir, file_name) < 0) {
        w->path = NULL;
        log_error("wal: out of memory");
        goto cleanup;
    }
    if (make_dirs(dir) < 0 || open_file(w, dir) < 0 ||
        replay_file(w, r) < 0)
        goto cleanup;
    opened = w;
    w = NULL;
cleanup:
    if (w) {
        int err = errno;
        wal_close(w);
        errno = err;
    }
    return opened;
}

/* ---- rewriting ---- */

/* The directory part of path ("." when there is none). */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash ? strndup(path, (size_t)(slash - path) + (slash == path))
                 : strdup(".");
}

int wal_rewrite(struct wal *w,
                int (*write_records)(void *ud, struct wal *fresh), void *ud)
{
    struct wal *fresh = calloc(1, sizeof(*fresh));
    char *dir = dir_of(w->path);
    int rc = -1;

    if (!fresh || !dir) {
        log_error("wal: out of memory");
        goto cleanup;
    }
    fresh->fsync = w->fsync;
    fresh->fd = -1;
    if (wal_sync(w) < 0)
        goto cleanup;
    if (asprintf(&fresh->path, "%s.new", w->path) < 0) {
        fresh->path = NULL;
        log_error("wal: out of memory");
        goto cleanup;
    }
    fresh->fd = open(fresh->path, O_RDWR | O_APPEND | O_CREAT | O_TRUNC |
                                  O_CLOEXEC, 0600);
    if (fresh->fd < 0) {
        log_error("wal: open %s: %s", fresh->path, strerror(errno));
        goto cleanup;
    }
    if (flock(fresh->fd, LOCK_EX | LOCK_NB) < 0) {
        log_error("wal: lock %s: %s", fresh->path, strerror(errno));
        goto cleanup;
    }
    if (write_records(ud, fresh) < 0 || wal_sync(fresh) < 0)
        goto cleanup;
    if (rename(fresh->path, w->path) < 0) {
        log_error("wal: rename %s: %s", fresh->path, strerror(errno));
        goto cleanup;
    }
    if (w->fsync && sync_dir(dir) < 0) {
        /* The new file is in place; only its name may not be durable yet:
         * either file is whole, so go on with the new one. */
        log_warn("wal: %s: the rewrite may not survive a crash", w->path);
    }
    close(w->fd);
    w->fd = fresh->fd;
    w->size = fresh->size;
    w->synced = fresh->synced;
    fresh->fd = -1;
    rc = 0;
cleanup:
    if (rc < 0 && fresh && fresh->fd >= 0)
        unlink(fresh->path);
    wal_close(fresh);
    free(dir);
    return rc;
}

/* Does not sync: records still buffered are dropped, exactly as a crash
 * would drop them. */
void wal_close(struct wal *w)
{
    if (!w)
        return;
    if (w->fd >= 0)
        close(w->fd);
    free(w->path);
    free(w->buf);
    free(w);
}
