/**
 * A question about one drug ("why not losartan?", "what about ibuprofen?", "can she take X?"):
 * group 1 is the drug as written. It ends at the question's own punctuation, so text after it
 * ("Why not losartan? She is 30.") does not hide it.
 */
export const WHY_NOT = /\b(?:why\s+(?:not|no|isn'?t|wasn'?t|didn'?t you (?:recommend|suggest|pick))|what about|how about|(?:could|can|should) (?:we|i|she|he|they) (?:use|try|give|start|switch to|take|have|be given|stop|continue|keep|hold)(?: (?:her|his|their|the))?|(?:she|he|they|the patient|patient|pt) (?:wants?|would like|is asking for|asks for|requests?)(?: to (?:start|try|use|take|go on))?(?: (?:the|a|an))?)\s+([A-Za-z][\w\s-]{1,60}?)(?:\s+(?:instead|for (?:her|him|them|this patient)|here|too|then|an option|ok|okay|safe|better|appropriate|suitable))*\s*(?:[?.!;,]|$)/im;

/** How the answer to a question about one drug is headed: in the words the question used. */
export const askedAbout = (question: string, drug: string) => (/\bwhy\b/i.test(question) ? `Why not ${drug}?` : `About ${drug} for this patient:`);
