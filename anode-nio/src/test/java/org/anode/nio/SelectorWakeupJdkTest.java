package org.anode.nio;

import java.io.IOException;
import java.nio.channels.Pipe;
import java.nio.channels.spi.SelectorProvider;

/**
 * Issue 15: the wakeup, interrupt and close suite (checklist items 15-17) with the JDK's own pipe
 * registered with our selector, so that the select blocks in the inner JDK selector.
 */
class SelectorWakeupJdkTest extends SelectorWakeupTest {
    @Override
    Pipe newPipe() throws IOException {
        return SelectorProvider.provider().openPipe();
    }
}
