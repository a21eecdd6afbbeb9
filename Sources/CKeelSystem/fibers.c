// Copying fibers: see CKeelSystem.h. One execution stack per loop; the host's thread runs a small
// scheduler (keel_fiber_run) on its own stack, and every switch between fibers goes through it:
// the leaving fiber saves its frames and jumps to the scheduler, which copies the next fiber's
// frames back and jumps into them. Copying from the scheduler's stack is what makes it safe: no
// frame of the code doing the copy lies in the region being overwritten.
#undef _FORTIFY_SOURCE   // longjmp between stacks is the point here, not a mistake to catch
#define _GNU_SOURCE
#include "CKeelSystem.h"
#include <dlfcn.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

// Swift's dynamic exclusivity checks keep a per-thread list of the accesses in progress, whose
// records live in the frames that made them. A fiber's records leave that list while it is
// suspended and come back when it runs again (what Swift's own tasks do).
extern void swift_task_enterThreadLocalContext(char *state) __attribute__((swiftcall, weak));
extern void swift_task_exitThreadLocalContext(char *state) __attribute__((swiftcall, weak));

struct keel_fiber {
    jmp_buf registers;
    char *saved;                  // the frames, from `sp` to the top of the stack
    size_t saved_size, saved_capacity;
    char *sp;
    void *exclusivity[2];
    int started, finished;
    void (*entry)(void *);
    void *argument;
    keel_fiber *exit_to;
};

struct keel_fiber_stack {
    char *mapping;
    size_t mapping_size;
    char *top;
    jmp_buf scheduler;
    keel_fiber *request;          // what the scheduler runs next; NULL: back to the host
    keel_fiber *current;
    ucontext_t start;
};

static __thread keel_fiber_stack *starting_stack;

#if defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define KEEL_SANITIZED 1
#endif
#endif

int keel_fibers_supported(void) {
#ifdef KEEL_SANITIZED
    return 0;
#endif
    // A sanitizer may be linked in by the Swift code's flags alone (fuzz/run): look for it too.
    if (dlsym(RTLD_DEFAULT, "__tsan_init") || dlsym(RTLD_DEFAULT, "__asan_init")) return 0;
    return swift_task_enterThreadLocalContext != 0 && swift_task_exitThreadLocalContext != 0;
}

keel_fiber_stack *keel_fiber_stack_create(unsigned long size) {
    long page = sysconf(_SC_PAGESIZE);
    size_t total = (size + (size_t)page - 1) / (size_t)page * (size_t)page + (size_t)page;
    char *m = mmap(0, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) return 0;
    mprotect(m, (size_t)page, PROT_NONE);   // the guard page: overflowing faults instead of corrupting
    keel_fiber_stack *s = calloc(1, sizeof *s);
    if (!s) { munmap(m, total); return 0; }
    s->mapping = m;
    s->mapping_size = total;
    s->top = m + total;
    return s;
}

void keel_fiber_stack_destroy(keel_fiber_stack *s) {
    if (!s) return;
    munmap(s->mapping, s->mapping_size);
    free(s);
}

keel_fiber *keel_fiber_create(void (*entry)(void *), void *argument) {
    keel_fiber *f = calloc(1, sizeof *f);
    if (!f) return 0;
    f->entry = entry;
    f->argument = argument;
    return f;
}

void keel_fiber_destroy(keel_fiber *f) {
    if (!f) return;
    free(f->saved);
    free(f);
}


// An address below the caller's frame: saving from here keeps all of it.
static __attribute__((noinline)) char *below_caller(void) {
    return (char *)__builtin_frame_address(0);
}

static void fiber_main(void) {
    keel_fiber_stack *s = starting_stack;
    keel_fiber *f = s->current;
    f->entry(f->argument);
    // Ended: nothing of it is needed again, so its frames are not saved.
    swift_task_exitThreadLocalContext((char *)f->exclusivity);
    f->finished = 1;
    free(f->saved);
    f->saved = 0;
    f->saved_size = f->saved_capacity = 0;
    s->request = f->exit_to;
    _longjmp(s->scheduler, 1);
}

void keel_fiber_run(keel_fiber_stack *s, keel_fiber *first) {
    s->request = first;
    _setjmp(s->scheduler);
    // Reached first, and again after every switch (its locals are not relied on after setjmp).
    keel_fiber *next = s->request;
    if (!next || next->finished) { s->current = 0; return; }
    s->current = next;
    if (!next->started) {
        next->started = 1;
        swift_task_enterThreadLocalContext((char *)next->exclusivity);
        starting_stack = s;
        getcontext(&s->start);
        s->start.uc_stack.ss_sp = s->mapping;
        s->start.uc_stack.ss_size = (size_t)(s->top - s->mapping);
        s->start.uc_link = 0;
        makecontext(&s->start, fiber_main, 0);
        setcontext(&s->start);
        abort();   // setcontext returns only on failure
    }
    memcpy(next->sp, next->saved, next->saved_size);
    swift_task_enterThreadLocalContext((char *)next->exclusivity);
    _longjmp(next->registers, 1);
}

void keel_fiber_switch(keel_fiber_stack *s, keel_fiber *me, keel_fiber *next) {
    swift_task_exitThreadLocalContext((char *)me->exclusivity);
    if (_setjmp(me->registers) != 0) return;   // switched back to: the scheduler restored us
    char *sp = below_caller();
    size_t size = (size_t)(s->top - sp);
    if (size > me->saved_capacity) {
        // Exactly what is needed: with a hundred thousand parked turns, slack adds up.
        size_t capacity = size;
        char *grown = realloc(me->saved, capacity);
        if (!grown) abort();   // out of memory while suspending: nothing sane is left to do
        me->saved = grown;
        me->saved_capacity = capacity;
    }
    memcpy(me->saved, sp, size);
    me->sp = sp;
    me->saved_size = size;
    s->request = next;
    _longjmp(s->scheduler, 1);
}

void keel_fiber_exit_to(keel_fiber_stack *s, keel_fiber *next) {
    if (s->current) s->current->exit_to = next;
}
