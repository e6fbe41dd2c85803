//! Callbacks from the core's threads into JS that never keep the process alive.

use napi::bindgen_prelude::*;
use napi::threadsafe_function::ThreadsafeFunction;

/// A callback that must not keep the process alive (stats, logs, delivery reports).
pub(crate) type WeakCallback<T> = ThreadsafeFunction<T, (), T, Status, false, true>;

pub(crate) fn weak_callback<T: ToNapiValue + 'static>(
    f: Function<'_, T, ()>,
) -> Result<WeakCallback<T>> {
    f.build_threadsafe_function()
        .callee_handled::<false>()
        .weak::<true>()
        .build()
}
