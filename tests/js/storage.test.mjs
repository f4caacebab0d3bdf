// supabase-js's storage client, unchanged, against a live KoyaLite.
// tests/test_storage_api.py starts the server (buckets and policies as in its
// POLICIES) and runs this file with `node --test`, passing URL and keys in env.

import assert from 'node:assert/strict'
import { test } from 'node:test'

import { StorageApiError, createClient } from '@supabase/supabase-js'

const env = process.env
const ALICE = env.ALICE_ID

function storage(key, token) {
  const headers = token ? { Authorization: `Bearer ${token}` } : {}
  return createClient(env.KOYALITE_URL, key, {
    auth: { persistSession: false, autoRefreshToken: false },
    global: { headers },
  }).storage
}

const service = storage(env.SERVICE_KEY)
const alice = storage(env.ANON_KEY, env.ALICE_TOKEN)
const bob = storage(env.ANON_KEY, env.BOB_TOKEN)

/** The data of a call that must succeed; its error otherwise fails the test. */
async function ok(call) {
  const { data, error } = await call
  assert.equal(error, null, `unexpected error: ${error?.message}`)
  return data
}

/** The StorageApiError of a call that must fail. */
async function failure(call) {
  const { data, error } = await call
  assert.equal(data, null)
  assert.ok(error instanceof StorageApiError, `not a StorageApiError: ${error}`)
  return error
}

/** An object's bytes as text, downloaded through supabase-js. */
async function downloaded(files, path) {
  return (await ok(files.download(path))).text()
}

async function bytes(blob) {
  return Buffer.from(await blob.arrayBuffer())
}

test('bucket create, get, list, update, empty and delete', async () => {
  const created = await ok(
    service.createBucket('js-life', {
      public: false,
      fileSizeLimit: '1MB',
      allowedMimeTypes: ['text/*'],
    }),
  )
  assert.deepEqual(created, { name: 'js-life' })

  const bucket = await ok(service.getBucket('js-life'))
  assert.equal(bucket.id, 'js-life')
  assert.equal(bucket.name, 'js-life')
  assert.equal(bucket.public, false)
  assert.equal(bucket.file_size_limit, 1024 * 1024)
  assert.deepEqual(bucket.allowed_mime_types, ['text/*'])
  const listed = await ok(service.listBuckets())
  assert.ok(listed.some((b) => b.id === 'js-life'))
  const options = { search: 'O', sortColumn: 'name', sortOrder: 'desc', limit: 2, offset: 1 }
  const page = await ok(service.listBuckets(options))
  assert.deepEqual(
    page.map((b) => b.name),
    ['folders', 'docs'],
  )

  const update = service.updateBucket('js-life', {
    public: true,
    fileSizeLimit: 2048,
    allowedMimeTypes: ['text/plain'],
  })
  assert.deepEqual(await ok(update), { message: 'Successfully updated' })
  const updated = await ok(service.getBucket('js-life'))
  assert.equal(updated.public, true)
  assert.equal(updated.file_size_limit, 2048)
  assert.deepEqual(updated.allowed_mime_types, ['text/plain'])

  await ok(service.from('js-life').upload('a.txt', 'a', { contentType: 'text/plain' }))
  const notEmpty = await failure(service.deleteBucket('js-life'))
  assert.equal(notEmpty.status, 409)
  assert.equal(notEmpty.statusCode, '409')
  assert.deepEqual(await ok(service.emptyBucket('js-life')), {
    message: 'Successfully emptied',
  })
  assert.deepEqual(await ok(service.deleteBucket('js-life')), {
    message: 'Successfully deleted',
  })
  const gone = await failure(service.getBucket('js-life'))
  assert.equal(gone.status, 404)
  assert.equal(gone.message, 'Bucket not found')
})

test('a missing bucket is an error, not an empty answer', async () => {
  const upload = await failure(alice.from('no-such-bucket').upload('x.txt', 'x'))
  assert.equal(upload.status, 404)
  assert.equal(upload.statusCode, '404')
  const list = await failure(service.from('no-such-bucket').list())
  assert.equal(list.status, 404)
})

test('a Buffer is sent as the raw body with its options', async () => {
  const path = `${ALICE}/js/buffer.bin`

  const uploaded = await ok(
    alice.from('docs').upload(path, Buffer.from([0, 1, 2, 255]), {
      contentType: 'application/octet-stream',
      cacheControl: '120',
      metadata: { from: 'js', n: 1 },
    }),
  )

  assert.equal(uploaded.path, path)
  assert.equal(uploaded.fullPath, `docs/${path}`)
  assert.match(uploaded.id, /^[0-9a-f-]{36}$/)
  const info = await ok(alice.from('docs').info(path))
  assert.equal(info.name, path)
  assert.equal(info.id, uploaded.id)
  assert.equal(info.bucketId, 'docs')
  assert.equal(info.size, 4)
  assert.equal(info.contentType, 'application/octet-stream')
  assert.equal(info.cacheControl, 'max-age=120')
  assert.deepEqual(info.metadata, { from: 'js', n: 1 })
  const blob = await ok(alice.from('docs').download(path))
  assert.deepEqual(await bytes(blob), Buffer.from([0, 1, 2, 255]))
})

test('a Uint8Array is sent as the raw body', async () => {
  const path = `${ALICE}/js/array.bin`

  await ok(alice.from('docs').upload(path, new Uint8Array([7, 8, 9])))

  const blob = await ok(alice.from('docs').download(path))
  assert.deepEqual(await bytes(blob), Buffer.from([7, 8, 9]))
  // supabase-js's defaults when no options are given.
  const info = await ok(alice.from('docs').info(path))
  assert.equal(info.contentType, 'text/plain;charset=UTF-8')
  assert.equal(info.cacheControl, 'max-age=3600')
})

test('a Blob is sent as multipart with an empty field name', async () => {
  const path = `${ALICE}/js/blob.txt`
  const body = new Blob(['from a blob'], { type: 'text/markdown' })

  await ok(
    alice.from('docs').upload(path, body, { cacheControl: '60', metadata: { kind: 'blob' } }),
  )

  const info = await ok(alice.from('docs').info(path))
  assert.equal(info.contentType, 'text/markdown')
  assert.equal(info.cacheControl, 'max-age=60')
  assert.deepEqual(info.metadata, { kind: 'blob' })
  const blob = await ok(alice.from('docs').download(path))
  assert.equal(await blob.text(), 'from a blob')
})

test('exists() is true for an object and false for none', async () => {
  const path = `${ALICE}/js/exists.txt`
  await ok(alice.from('docs').upload(path, 'here'))

  assert.equal(await ok(alice.from('docs').exists(path)), true)
  const { data, error } = await alice.from('docs').exists(`${ALICE}/js/absent.txt`)
  assert.equal(data, false)
  assert.equal(error.status, 404)
})

test('a duplicate upload is a 409; upsert and update replace', async () => {
  const files = alice.from('docs')
  const path = `${ALICE}/js/dup.txt`
  await ok(files.upload(path, 'one'))

  const duplicate = await failure(files.upload(path, 'two'))

  assert.equal(duplicate.status, 409)
  assert.equal(duplicate.statusCode, '409')
  assert.equal(duplicate.message, 'The resource already exists')
  assert.equal(await downloaded(files, path), 'one')
  await ok(files.upload(path, 'three', { upsert: true }))
  assert.equal(await downloaded(files, path), 'three')
  await ok(files.update(path, 'four'))
  assert.equal(await downloaded(files, path), 'four')
})

test('list takes a prefix, limit, offset, sortBy and search', async () => {
  const files = alice.from('docs')
  const base = `${ALICE}/js/tree`
  for (const name of ['b.txt', 'a.txt', 'sub/c.txt', 'other/e.txt']) {
    await ok(files.upload(`${base}/${name}`, name))
  }

  const listed = await ok(files.list(base))

  assert.deepEqual(
    listed.map((e) => [e.name, e.id === null]),
    [
      ['a.txt', false],
      ['b.txt', false],
      ['other', true],
      ['sub', true],
    ],
  )
  assert.equal(listed[0].metadata.size, 5)
  const names = async (options) => (await ok(files.list(base, options))).map((e) => e.name)
  assert.deepEqual(await names({ limit: 2, offset: 1 }), ['b.txt', 'other'])
  assert.deepEqual(await names({ sortBy: { column: 'name', order: 'desc' } }), [
    'sub',
    'other',
    'b.txt',
    'a.txt',
  ])
  assert.deepEqual(await names({ search: 'b' }), ['b.txt'])
  assert.deepEqual((await ok(files.list(`${base}/sub`))).map((e) => e.name), ['c.txt'])
})

test('move and copy', async () => {
  const files = alice.from('docs')
  await ok(files.upload(`${ALICE}/js/mv/a.txt`, 'a'))
  await ok(files.upload(`${ALICE}/js/mv/b.txt`, 'b'))

  const moved = await ok(files.move(`${ALICE}/js/mv/a.txt`, `${ALICE}/js/mv/moved.txt`))
  const copied = await ok(files.copy(`${ALICE}/js/mv/b.txt`, `${ALICE}/js/mv/copied.txt`))

  assert.deepEqual(moved, { message: 'Successfully moved' })
  assert.equal(copied.path, `docs/${ALICE}/js/mv/copied.txt`)
  assert.equal(await downloaded(files, `${ALICE}/js/mv/moved.txt`), 'a')
  assert.equal(await ok(files.exists(`${ALICE}/js/mv/b.txt`)), true)
  assert.equal(await downloaded(files, `${ALICE}/js/mv/copied.txt`), 'b')
  assert.equal((await files.exists(`${ALICE}/js/mv/a.txt`)).data, false)
})

test('remove returns the objects it removed', async () => {
  const files = alice.from('docs')
  await ok(files.upload(`${ALICE}/js/rm/a.txt`, 'a'))

  const removed = await ok(files.remove([`${ALICE}/js/rm/a.txt`, `${ALICE}/js/rm/none.txt`]))

  assert.deepEqual(
    removed.map((r) => r.name),
    [`${ALICE}/js/rm/a.txt`],
  )
  assert.deepEqual(await ok(files.remove([`${ALICE}/js/rm/a.txt`])), [])
})

test('signed URLs download, also as an attachment', async () => {
  const files = alice.from('docs')
  const path = `${ALICE}/js/signed.txt`
  await ok(files.upload(path, 'signed bytes', { contentType: 'text/plain' }))

  const { signedUrl } = await ok(files.createSignedUrl(path, 60))
  const fetched = await fetch(signedUrl)
  assert.equal(fetched.status, 200)
  assert.equal(await fetched.text(), 'signed bytes')

  const named = await ok(files.createSignedUrl(path, 60, { download: 'report.txt' }))
  const attachment = await fetch(named.signedUrl)
  assert.equal(await attachment.text(), 'signed bytes')
  assert.match(attachment.headers.get('content-disposition'), /^attachment; filename="report.txt"/)
  const unnamed = await ok(files.createSignedUrl(path, 60, { download: true }))
  const original = await fetch(unnamed.signedUrl)
  assert.match(original.headers.get('content-disposition'), /^attachment; filename="signed.txt"/)

  const many = await ok(files.createSignedUrls([path, `${ALICE}/js/nope.txt`], 60))
  assert.equal(many[0].path, path)
  assert.equal(many[0].error, null)
  assert.equal(await (await fetch(many[0].signedUrl)).text(), 'signed bytes')
  assert.equal(many[1].signedUrl, null)
  assert.equal(typeof many[1].error, 'string')
})

test('a signed upload URL takes one upload', async () => {
  const files = alice.from('docs')
  const path = `${ALICE}/js/by-url.txt`

  const signed = await ok(files.createSignedUploadUrl(path))
  assert.equal(signed.path, path)
  assert.ok(signed.signedUrl.startsWith(`${env.KOYALITE_URL}/storage/v1/object/upload/sign/`))
  const uploaded = await ok(files.uploadToSignedUrl(signed.path, signed.token, 'by url'))

  assert.equal(uploaded.fullPath, `docs/${path}`)
  assert.equal(await downloaded(files, path), 'by url')
  const again = await failure(files.uploadToSignedUrl(signed.path, signed.token, 'again'))
  assert.equal(again.statusCode, '409')
})

test('a signed upload URL made with upsert replaces what is there', async () => {
  const files = alice.from('docs')
  const path = `${ALICE}/js/by-url-upsert.txt`
  await ok(files.upload(path, 'before'))

  const signed = await ok(files.createSignedUploadUrl(path, { upsert: true }))
  await ok(files.uploadToSignedUrl(signed.path, signed.token, 'after'))

  assert.equal(await downloaded(files, path), 'after')
})

test('move and copy into another bucket', async () => {
  const files = alice.from('docs')
  await ok(files.upload(`${ALICE}/js/across/a.txt`, 'a'))
  await ok(files.upload(`${ALICE}/js/across/b.txt`, 'b'))

  const elsewhere = { destinationBucket: 'avatars' }
  await ok(files.move(`${ALICE}/js/across/a.txt`, `${ALICE}/js/a.txt`, elsewhere))
  const copied = await ok(files.copy(`${ALICE}/js/across/b.txt`, `${ALICE}/js/b.txt`, elsewhere))

  assert.equal(copied.path, `avatars/${ALICE}/js/b.txt`)
  const avatars = alice.from('avatars')
  assert.equal(await downloaded(avatars, `${ALICE}/js/a.txt`), 'a')
  assert.equal(await downloaded(avatars, `${ALICE}/js/b.txt`), 'b')
  assert.equal((await files.exists(`${ALICE}/js/across/a.txt`)).data, false)
  assert.equal(await ok(files.exists(`${ALICE}/js/across/b.txt`)), true)
})

test('a public URL serves a public bucket without a key', async () => {
  const path = `${ALICE}/js/face.png`
  await ok(alice.from('avatars').upload(path, Buffer.from('png'), { contentType: 'image/png' }))

  const { publicUrl } = alice.from('avatars').getPublicUrl(path).data
  const fetched = await fetch(publicUrl)

  assert.equal(publicUrl, `${env.KOYALITE_URL}/storage/v1/object/public/avatars/${path}`)
  assert.equal(fetched.status, 200)
  assert.equal(fetched.headers.get('content-type'), 'image/png')
  assert.equal(await fetched.text(), 'png')
  const attachment = alice.from('avatars').getPublicUrl(path, { download: true }).data
  const download = await fetch(attachment.publicUrl)
  assert.match(download.headers.get('content-disposition'), /^attachment; filename="face.png"/)
})

test("row level security refuses another user's path", async () => {
  const path = `${ALICE}/js/private.txt`
  await ok(alice.from('folders').upload(path, 'secret'))

  const refused = await failure(bob.from('folders').upload(path, 'mine now', { upsert: true }))
  const hidden = await failure(bob.from('folders').download(path))

  assert.equal(refused.status, 403)
  assert.equal(refused.statusCode, '403')
  assert.equal(refused.message, 'new row violates row-level security policy')
  assert.equal(hidden.status, 404)
  assert.equal((await bob.from('folders').exists(path)).data, false)
  assert.deepEqual(await ok(bob.from('folders').remove([path])), [])
  assert.equal(await downloaded(alice.from('folders'), path), 'secret')
})

test('names with spaces and accents survive every URL supabase-js builds', async () => {
  const files = alice.from('avatars')
  const path = `${ALICE}/js/my file é.txt`
  await ok(files.upload(path, 'spaced', { contentType: 'text/plain' }))

  const { signedUrl } = await ok(files.createSignedUrl(path, 60))
  const [many] = await ok(files.createSignedUrls([path], 60))
  const { publicUrl } = files.getPublicUrl(path).data
  const signedUpload = await ok(files.createSignedUploadUrl(`${ALICE}/js/up load é.txt`))

  for (const url of [signedUrl, many.signedUrl, publicUrl]) {
    const fetched = await fetch(url)
    assert.equal(fetched.status, 200, url)
    assert.equal(await fetched.text(), 'spaced')
  }
  assert.equal(await ok(files.exists(path)), true)
  assert.equal((await ok(files.info(path))).name, path)
  assert.equal(await downloaded(files, path), 'spaced')
  await ok(files.uploadToSignedUrl(signedUpload.path, signedUpload.token, 'by url'))
  assert.equal(await downloaded(files, signedUpload.path), 'by url')
})

test('a ReadableStream and a FormData are uploaded too', async () => {
  const files = alice.from('docs')
  const stream = new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('streamed '))
      controller.enqueue(new TextEncoder().encode('bytes'))
      controller.close()
    },
  })
  const form = new FormData()
  form.append('cacheControl', '30')
  form.append('file', new File(['from a form'], 'form.txt', { type: 'text/csv' }))

  await ok(files.upload(`${ALICE}/js/stream.txt`, stream, { contentType: 'text/plain' }))
  await ok(files.upload(`${ALICE}/js/form.txt`, form))

  assert.equal(await downloaded(files, `${ALICE}/js/stream.txt`), 'streamed bytes')
  const info = await ok(files.info(`${ALICE}/js/form.txt`))
  assert.equal(info.contentType, 'text/csv')
  assert.equal(info.cacheControl, 'max-age=30')
  assert.equal(await downloaded(files, `${ALICE}/js/form.txt`), 'from a form')
})

test('listV2 pages with its cursor and folds folders', async () => {
  const files = alice.from('docs')
  const base = `${ALICE}/js/v2/`
  const names = ['a.txt', 'b.txt', 'c.txt', 'd.txt', 'e.txt', 'sub/f.txt', 'sub/g.txt']
  for (const name of names) {
    await ok(files.upload(`${base}${name}`, name))
  }

  const seen = []
  let cursor
  let pages = 0
  do {
    const page = await ok(files.listV2({ prefix: base, limit: 3, cursor }))
    seen.push(...page.objects.map((o) => o.name))
    assert.deepEqual(page.folders, [])
    cursor = page.hasNext ? page.nextCursor : undefined
    pages += 1
  } while (cursor)
  const folded = await ok(files.listV2({ prefix: base, with_delimiter: true }))
  const newest = await ok(
    files.listV2({ prefix: base, limit: 1, sortBy: { column: 'created_at', order: 'desc' } }),
  )
  const theirs = await ok(bob.from('docs').listV2({ prefix: base }))
  const refused = await failure(files.listV2({ prefix: base, limit: 0 }))

  assert.deepEqual(
    seen,
    names.map((name) => `${base}${name}`),
  )
  assert.equal(pages, 3)
  assert.deepEqual(folded.folders, [{ key: 'sub', name: `${base}sub/` }])
  assert.deepEqual(
    folded.objects.map((o) => o.key),
    ['a.txt', 'b.txt', 'c.txt', 'd.txt', 'e.txt'],
  )
  assert.equal(folded.objects[0].metadata.size, 5)
  assert.equal(folded.hasNext, false)
  assert.deepEqual(
    newest.objects.map((o) => o.name),
    [`${base}sub/g.txt`],
  )
  assert.deepEqual(theirs, { hasNext: false, folders: [], objects: [] })
  assert.equal(refused.status, 400)
  assert.equal(refused.code, 'InvalidRequest')
})

test('a broken image fails as a StorageApiError', async () => {
  const files = alice.from('docs')
  await ok(files.upload(`${ALICE}/js/photo.png`, Buffer.from('png'), { contentType: 'image/png' }))

  const transform = { transform: { width: 10 } }
  const rendered = await failure(files.download(`${ALICE}/js/photo.png`, transform))

  // Three bytes labelled image/png: the renderer refuses them as no image.
  assert.equal(rendered.status, 400)
  assert.equal(rendered.code, 'InvalidRequest')
})
