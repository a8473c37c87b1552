package org.anode.address;

/**
 * A text, file or key pair is not a valid Anode identity (draft 2.2, DECISIONS 9): the identity
 * string is malformed, its address is invalid, or its secret does not belong to its address.
 * The message says what was wrong; it never contains the secret.
 */
public final class InvalidIdentityException extends Exception {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what is wrong with the input
     */
    public InvalidIdentityException(String message) {
        super(message);
    }

    /**
     * Creates the exception with its cause.
     *
     * @param message what is wrong with the input
     * @param cause the underlying failure
     */
    public InvalidIdentityException(String message, Throwable cause) {
        super(message, cause);
    }
}
