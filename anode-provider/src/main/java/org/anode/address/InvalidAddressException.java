package org.anode.address;

/**
 * A byte string or text is not a valid Anode address (draft 2.2, DECISIONS 6-8).
 * The message says what was wrong.
 */
public final class InvalidAddressException extends Exception {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what is wrong with the input
     */
    public InvalidAddressException(String message) {
        super(message);
    }

    /**
     * Creates the exception with its cause.
     *
     * @param message what is wrong with the input
     * @param cause the underlying failure
     */
    public InvalidAddressException(String message, Throwable cause) {
        super(message, cause);
    }
}
