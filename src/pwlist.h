/* pwlist.h -- the list of common passwords shipped inside the binary, as a hash set. */
#ifndef OW_PWLIST_H
#define OW_PWLIST_H

#include <stdbool.h>
#include <stddef.h>

/*
 * data/common-passwords.txt, one lower-case password a line, each line ended
 * by '\n'; generated into common_passwords.c by Makefile.am.
 */
extern const char pwlist_text[];

/*
 * Build the set from pwlist_text once per process (a worker calls it from
 * dispatch_init; later calls return at once). 0, or -1 when out of memory.
 * The set lives until the process exits.
 */
int pwlist_init(void);

/*
 * True when s (len bytes, ASCII letters compared without case) is on the
 * list. One hash and a short probe, whatever the list's size; false before
 * pwlist_init succeeded or for len over the longest entry the set can hold.
 */
bool pwlist_contains(const char *s, size_t len);

/* Number of passwords in the set (0 before pwlist_init). */
size_t pwlist_size(void);

#endif
