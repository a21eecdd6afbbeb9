// libedit (BSD editline) for Swift. Its el_set/el_get/history entry points are variadic, which
// Swift cannot call, so each use the REPL needs gets a small fixed-argument wrapper here.
#ifndef KEEL_CLIBEDIT_SHIM_H
#define KEEL_CLIBEDIT_SHIM_H

#include <stdio.h>
#include <wchar.h>
#include <histedit.h>

// The C library's standard streams, as functions: Swift 6 sees `stdin`/`stdout`/`stderr` as shared
// mutable globals and will not read them directly.
static inline FILE *keel_stdin(void) { return stdin; }
static inline FILE *keel_stdout(void) { return stdout; }
static inline FILE *keel_stderr(void) { return stderr; }

typedef char *(*keel_prompt_fn)(EditLine *);
typedef unsigned char (*keel_command_fn)(EditLine *, int);

static inline int keel_el_set_prompt(EditLine *el, keel_prompt_fn fn) { return el_set(el, EL_PROMPT, fn); }
static inline int keel_el_set_editor(EditLine *el, const char *mode) { return el_set(el, EL_EDITOR, mode); }
static inline int keel_el_set_history(EditLine *el, History *h) { return el_set(el, EL_HIST, history, h); }
static inline int keel_el_set_getc(EditLine *el, el_rfunc_t fn) { return el_set(el, EL_GETCFN, fn); }
static inline int keel_el_add_command(EditLine *el, const char *name, const char *help, keel_command_fn fn) {
    return el_set(el, EL_ADDFN, name, help, fn);
}
static inline int keel_el_bind(EditLine *el, const char *key, const char *command) {
    return el_set(el, EL_BIND, key, command, NULL);
}
// While a line is edited, Ctrl-C reaches the editor as a key (in order with the others) rather
// than as SIGINT: `setty -d -isig` clears ISIG in libedit's edit mode only.
static inline int keel_el_keys_not_signals(EditLine *el) { return el_set(el, EL_SETTY, "-d", "-isig", NULL); }
static inline int keel_el_refresh(EditLine *el) { return el_set(el, EL_REFRESH); }
static inline int keel_el_source_defaults(EditLine *el) { return el_source(el, NULL); }

static inline int keel_history_set_size(History *h, int size) {
    HistEvent ev;
    return history(h, &ev, H_SETSIZE, size);
}
static inline int keel_history_set_unique(History *h, int unique) {
    HistEvent ev;
    return history(h, &ev, H_SETUNIQUE, unique);
}
static inline int keel_history_enter(History *h, const char *line) {
    HistEvent ev;
    return history(h, &ev, H_ENTER, line);
}
static inline int keel_history_load(History *h, const char *path) {
    HistEvent ev;
    return history(h, &ev, H_LOAD, path);
}
static inline int keel_history_save(History *h, const char *path) {
    HistEvent ev;
    return history(h, &ev, H_SAVE, path);
}

#endif
