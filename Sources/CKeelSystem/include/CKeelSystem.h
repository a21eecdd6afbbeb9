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

#endif
