/* A minimal test harness for the C tests: every check counts, failures print where and why. */
#ifndef LOGCAP_CHECK_H
#define LOGCAP_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "logcap.h"

static int checks_passed;
static int checks_failed;

#define CHECK(cond)                                                              \
  do {                                                                           \
    if (cond) {                                                                  \
      checks_passed++;                                                           \
    } else {                                                                     \
      checks_failed++;                                                           \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
    }                                                                            \
  } while (0)

#define EXPECT_RC(call, expected)                                                \
  do {                                                                           \
    logcap_result rc_ = (call);                                                  \
    if (rc_ == (logcap_result)(expected)) {                                      \
      checks_passed++;                                                           \
    } else {                                                                     \
      checks_failed++;                                                           \
      fprintf(stderr, "%s:%d: %s\n  returned %u (%s), expected %u (%s)\n  last error: %s\n", \
              __FILE__, __LINE__, #call, (unsigned)rc_, logcap_result_text(rc_), \
              (unsigned)(expected), logcap_result_text(expected), logcap_last_error()); \
    }                                                                            \
  } while (0)

#define OK(call) EXPECT_RC(call, LOGCAP_RESULT_OK)

/* (pointer, length) of a string literal. */
#define S(lit) (const uint8_t *)(lit), (sizeof(lit) - 1)

/* The whole file at `path`, NUL-terminated, its length in *len; NULL if it cannot be opened.
 * The caller frees it. */
static inline char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = (char *)malloc((size_t)n + 1);
  *len = fread(buf, 1, (size_t)n, f);
  buf[*len] = 0;
  fclose(f);
  return buf;
}

static int finish(const char *name) {
  /* The plain closing line that test runners read. */
  printf("%s: %d passed, %d failed\n", name, checks_passed, checks_failed);
  return checks_failed == 0 ? 0 : 1;
}

#endif
