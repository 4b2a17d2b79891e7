//! Running a model: the seeded sampler, streaming generation, chats over a recurrent state and
//! their saved sessions, and the model as the translator's last-resort guesser.

pub mod chat;
pub mod generate;
pub mod guesser;
pub mod sampling;
pub mod session;
