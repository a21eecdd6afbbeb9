// Copying fibers: see CKeelSystem.h. One execution stack per loop; the host's thread runs a small
// scheduler (keel_fiber_run) on its own stack, and every switch between fibers goes through it:
// the leaving fiber saves its frames and jumps to the scheduler, which copies the next fiber's
// frames back and jumps into them. Copying from the scheduler's stack is what makes it safe: no
// frame of the code doing the copy lies in the region being overwritten.
#undef _FORTIFY_SOURCE   // longjmp between stacks is the point here, not a mistake to catch
#define _GNU_SOURCE
#include "CKeelSystem.h"
#include <setjmp.h>
#include <stdint.h>
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

// The sanitizers follow a fiber through these hooks (weak: each is NULL unless that sanitizer's
// runtime is linked in). The address sanitizer keeps a shadow byte for every 8 bytes of the
// stack; a fiber's shadow is saved and restored with its frames, so its red zones come back with
// it and another fiber's never linger. The thread sanitizer sees each fiber as a thread of its
// own, switched with a happens-before edge, like any coroutine library.
extern void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom, size_t size) __attribute__((weak));
extern void __sanitizer_finish_switch_fiber(void *fake_stack_save, const void **bottom_old, size_t *size_old) __attribute__((weak));
extern void __asan_get_shadow_mapping(size_t *shadow_scale, size_t *shadow_offset) __attribute__((weak));
extern void __asan_unpoison_memory_region(void const volatile *addr, size_t size) __attribute__((weak));
extern void *__tsan_get_current_fiber(void) __attribute__((weak));
extern void *__tsan_create_fiber(unsigned flags) __attribute__((weak));
extern void __tsan_destroy_fiber(void *fiber) __attribute__((weak));
extern void __tsan_switch_to_fiber(void *fiber, unsigned flags) __attribute__((weak));

#define NOT_SANITIZED __attribute__((disable_sanitizer_instrumentation))

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
    // Under the sanitizers: the shadow of the saved frames, the fake stack, the fiber's context.
    unsigned char *shadow;
    size_t shadow_capacity;
    void *fake_stack;
    void *tsan_fiber;
};

struct keel_fiber_stack {
    char *mapping;
    size_t mapping_size;
    char *bottom;                 // above the guard page
    char *top;
    jmp_buf scheduler;
    keel_fiber *request;          // what the scheduler runs next; NULL: back to the host
    keel_fiber *current;
    ucontext_t start;
    // The host's stack (whichever thread drives the loop now) as the sanitizers know it.
    const void *host_bottom;
    size_t host_size;
    void *host_fake_stack;
    void *host_tsan_fiber;
};

static __thread keel_fiber_stack *starting_stack;

int keel_fibers_supported(void) {
    return swift_task_enterThreadLocalContext != 0 && swift_task_exitThreadLocalContext != 0;
}

// MARK: the address sanitizer's shadow of the execution stack

static size_t shadow_scale, shadow_offset;

static int address_sanitized(void) { return __asan_get_shadow_mapping != 0; }

static unsigned char *shadow_of(const char *address) {
    return (unsigned char *)(((uintptr_t)address >> shadow_scale) + shadow_offset);
}

// Byte by byte through volatile pointers: the shadow is not memory the sanitizer lets `memcpy` touch.
static NOT_SANITIZED void copy_shadow(unsigned char *to, const unsigned char *from, size_t count) {
    volatile unsigned char *d = to;
    const volatile unsigned char *s = from;
    for (size_t i = 0; i < count; i++) d[i] = s[i];
}

// Keeps the shadow of [sp, top) with the fiber, then clears it: the frames are copied out next,
// and the next fiber finds a clean stack.
static NOT_SANITIZED void save_shadow(keel_fiber *f, char *sp, char *top) {
    if (!address_sanitized()) return;
    size_t count = (size_t)(top - sp) >> shadow_scale;
    if (count > f->shadow_capacity) {
        unsigned char *grown = realloc(f->shadow, count);
        if (!grown) abort();
        f->shadow = grown;
        f->shadow_capacity = count;
    }
    copy_shadow(f->shadow, shadow_of(sp), count);
    __asan_unpoison_memory_region(sp, (size_t)(top - sp));
}

static NOT_SANITIZED void restore_shadow(keel_fiber *f, char *sp, char *top) {
    if (!address_sanitized()) return;
    copy_shadow(shadow_of(sp), f->shadow, (size_t)(top - sp) >> shadow_scale);
}

// Announcing a switch of stacks (the address sanitizer) and of fibers (the thread sanitizer),
// immediately before the jump; `arrived` is called first thing on the other side.
static NOT_SANITIZED void leaving(void **fake_stack_save, const void *bottom, size_t size, void *tsan_fiber) {
    if (__sanitizer_start_switch_fiber) __sanitizer_start_switch_fiber(fake_stack_save, bottom, size);
    if (__tsan_switch_to_fiber && tsan_fiber) __tsan_switch_to_fiber(tsan_fiber, 0);
}

static NOT_SANITIZED void arrived(void *fake_stack, const void **bottom_old, size_t *size_old) {
    if (__sanitizer_finish_switch_fiber) __sanitizer_finish_switch_fiber(fake_stack, bottom_old, size_old);
}

NOT_SANITIZED keel_fiber_stack *keel_fiber_stack_create(unsigned long size) {
    long page = sysconf(_SC_PAGESIZE);
    size_t total = (size + (size_t)page - 1) / (size_t)page * (size_t)page + (size_t)page;
    char *m = mmap(0, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) return 0;
    mprotect(m, (size_t)page, PROT_NONE);   // the guard page: overflowing faults instead of corrupting
    keel_fiber_stack *s = calloc(1, sizeof *s);
    if (!s) { munmap(m, total); return 0; }
    s->mapping = m;
    s->mapping_size = total;
    s->bottom = m + page;
    s->top = m + total;
    if (address_sanitized()) __asan_get_shadow_mapping(&shadow_scale, &shadow_offset);
    return s;
}

void keel_fiber_stack_destroy(keel_fiber_stack *s) {
    if (!s) return;
    munmap(s->mapping, s->mapping_size);
    free(s);
}

NOT_SANITIZED keel_fiber *keel_fiber_create(void (*entry)(void *), void *argument) {
    keel_fiber *f = calloc(1, sizeof *f);
    if (!f) return 0;
    f->entry = entry;
    f->argument = argument;
    if (__tsan_create_fiber) f->tsan_fiber = __tsan_create_fiber(0);
    return f;
}

NOT_SANITIZED void keel_fiber_destroy(keel_fiber *f) {
    if (!f) return;
    if (f->tsan_fiber && __tsan_destroy_fiber) __tsan_destroy_fiber(f->tsan_fiber);
    free(f->saved);
    free(f->shadow);
    free(f);
}


// An address below the caller's frame: saving from here keeps all of it.
static NOT_SANITIZED __attribute__((noinline)) char *below_caller(void) {
    return (char *)__builtin_frame_address(0);
}

static NOT_SANITIZED void fiber_main(void) {
    keel_fiber_stack *s = starting_stack;
    keel_fiber *f = s->current;
    arrived(0, &s->host_bottom, &s->host_size);
    f->entry(f->argument);
    // Ended: nothing of it is needed again, so its frames are not saved.
    swift_task_exitThreadLocalContext((char *)f->exclusivity);
    f->finished = 1;
    free(f->saved);
    f->saved = 0;
    f->saved_size = f->saved_capacity = 0;
    s->request = f->exit_to;
    if (address_sanitized()) {
        char *sp = below_caller();
        __asan_unpoison_memory_region(sp, (size_t)(s->top - sp));
    }
    leaving(0, s->host_bottom, s->host_size, s->host_tsan_fiber);
    _longjmp(s->scheduler, 1);
}

NOT_SANITIZED void keel_fiber_run(keel_fiber_stack *s, keel_fiber *first) {
    s->request = first;
    if (__tsan_get_current_fiber) s->host_tsan_fiber = __tsan_get_current_fiber();
    if (_setjmp(s->scheduler) != 0) arrived(s->host_fake_stack, 0, 0);
    // Reached first, and again after every switch (its locals are not relied on after setjmp).
    keel_fiber *next = s->request;
    if (!next || next->finished) { s->current = 0; return; }
    s->current = next;
    if (!next->started) {
        next->started = 1;
        swift_task_enterThreadLocalContext((char *)next->exclusivity);
        starting_stack = s;
        getcontext(&s->start);
        s->start.uc_stack.ss_sp = s->bottom;
        s->start.uc_stack.ss_size = (size_t)(s->top - s->bottom);
        s->start.uc_link = 0;
        makecontext(&s->start, fiber_main, 0);
        leaving(&s->host_fake_stack, s->bottom, (size_t)(s->top - s->bottom), next->tsan_fiber);
        setcontext(&s->start);
        abort();   // setcontext returns only on failure
    }
    memcpy(next->sp, next->saved, next->saved_size);
    restore_shadow(next, next->sp, s->top);
    swift_task_enterThreadLocalContext((char *)next->exclusivity);
    leaving(&s->host_fake_stack, s->bottom, (size_t)(s->top - s->bottom), next->tsan_fiber);
    _longjmp(next->registers, 1);
}

NOT_SANITIZED void keel_fiber_switch(keel_fiber_stack *s, keel_fiber *me, keel_fiber *next) {
    swift_task_exitThreadLocalContext((char *)me->exclusivity);
    if (_setjmp(me->registers) != 0) {   // switched back to: the scheduler restored us
        arrived(me->fake_stack, &s->host_bottom, &s->host_size);
        return;
    }
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
    save_shadow(me, sp, s->top);
    memcpy(me->saved, sp, size);
    me->sp = sp;
    me->saved_size = size;
    s->request = next;
    leaving(&me->fake_stack, s->host_bottom, s->host_size, s->host_tsan_fiber);
    _longjmp(s->scheduler, 1);
}

NOT_SANITIZED void keel_fiber_exit_to(keel_fiber_stack *s, keel_fiber *next) {
    if (s->current) s->current->exit_to = next;
}
