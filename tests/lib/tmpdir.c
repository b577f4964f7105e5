/* tmpdir.c -- temporary directories for the tests (see tmpdir.h). */
#include "tmpdir.h"

#include <errno.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Open directories nftw may hold at once while it walks the tree. */
#define WALK_OPEN_DIRS 16

/* Whether snprintf's len fitted in size bytes; sets errno when not. */
static bool path_fits(int len, size_t size)
{
    if (len >= 0 && (size_t)len < size)
        return true;
    errno = ENAMETOOLONG;
    return false;
}

int tmpdir_make(struct tmpdir *t, const char *name, const char *file)
{
    const char *parent = getenv("TMPDIR");
    int len;

    if (!parent || !parent[0])
        parent = "/tmp";
    len = snprintf(t->dir, sizeof(t->dir), "%s/%s.XXXXXX", parent, name);
    if (!path_fits(len, sizeof(t->dir)))
        return -1;
    len = snprintf(t->file, sizeof(t->file), "%s/%s", t->dir, file);
    if (!path_fits(len, sizeof(t->file)))
        return -1;
    if (!mkdtemp(t->dir))
        return -1;
    /* mkdtemp filled in the Xs; the file's path starts with the same. */
    memcpy(t->file, t->dir, strlen(t->dir));
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    return remove(path);
}

int tmpdir_remove(const struct tmpdir *t)
{
    /* FTW_DEPTH: a directory's entries go before the directory itself. */
    return nftw(t->dir, remove_entry, WALK_OPEN_DIRS, FTW_DEPTH | FTW_PHYS);
}

int tmpdir_setup(void **state, const char *name, const char *file)
{
    struct tmpdir *t = malloc(sizeof(*t));

    if (!t)
        return -1;
    if (tmpdir_make(t, name, file) < 0) {
        free(t);
        return -1;
    }
    *state = t;
    return 0;
}

int tmpdir_teardown(void **state)
{
    struct tmpdir *t = *state;

    tmpdir_remove(t);
    free(t);
    return 0;
}
