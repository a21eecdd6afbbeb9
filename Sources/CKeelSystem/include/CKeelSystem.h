#ifndef CKEELSYSTEM_H
#define CKEELSYSTEM_H

/// Linux calls the Swift overlay cannot make (variadic, or behind macros).

/// Sizes this process's private futex hash (Linux 6.16+: PR_FUTEX_HASH). By default a process on
/// a 2-CPU machine gets 16 buckets, so with ten thousand parked fibers each wake-up walks hundreds
/// of waiters. Returns -1 (and changes nothing) on kernels without it.
int keel_set_futex_hash_slots(unsigned long slots);

/// Pins the calling thread to one CPU. Returns 0 on success.
int keel_pin_thread_to_cpu(int cpu);

/// The CPU the calling thread runs on, or -1.
int keel_current_cpu(void);

// MARK: copying fibers

/// Every fiber of a loop runs on one large execution stack. A fiber that switches away has the
/// part of the stack it uses copied to the heap, and copied back (at the same addresses) when it
/// is switched to, so a suspended fiber costs the bytes of its frames, not a thread.
typedef struct keel_fiber_stack keel_fiber_stack;
typedef struct keel_fiber keel_fiber;

/// Whether copying fibers can be used in this process (the Swift runtime has the calls that move
/// a fiber's exclusivity records). Under the address and thread sanitizers they announce every
/// switch, and the address sanitizer's shadow of the frames is copied with them.
int keel_fibers_supported(void);

/// Reserves an execution stack of `size` bytes (address space only, with a guard page). NULL when
/// it cannot be mapped.
keel_fiber_stack *keel_fiber_stack_create(unsigned long size);
void keel_fiber_stack_destroy(keel_fiber_stack *stack);

/// A fiber that will run `entry(argument)` on the stack when first switched to. When `entry`
/// returns, the fiber ends and control goes to what it named with `keel_fiber_exit_to`.
keel_fiber *keel_fiber_create(void (*entry)(void *), void *argument);
/// Frees a fiber that is not running (its saved frames are dropped).
void keel_fiber_destroy(keel_fiber *fiber);

/// From the host (not on the stack): runs `first`, and whatever it switches to, until a fiber
/// switches to the host (NULL). Returns then.
void keel_fiber_run(keel_fiber_stack *stack, keel_fiber *first);
/// From the running fiber `me`: suspends it and runs `next` (NULL: returns to the host).
void keel_fiber_switch(keel_fiber_stack *stack, keel_fiber *me, keel_fiber *next);
/// From the running fiber: where control goes when its entry returns (NULL: the host).
void keel_fiber_exit_to(keel_fiber_stack *stack, keel_fiber *next);

#endif
